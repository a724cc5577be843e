import type {Tensor, TensorInfo} from '@tensorflow/tfjs';
import type {FormatName} from '../formats/format-spec.js';
import {nativeAccumulation} from './accumulation-probe.js';
import {HandleScope, type NodeBackend, TF_DTYPES, type TfHandle, typeAttr} from './binding.js';
import {halfMatrix} from './half-cache.js';
import {float32Of, runHalfOp} from './native-op.js';
import {isNativeOpSupported} from './probe.js';

/** Whether TF's `MatMul` exists in `format` on this device and sums in float32 (probed once). */
export function matMulSumsInFloat32(node: NodeBackend, format: FormatName): boolean {
  return (
    isNativeOpSupported(node, 'MatMul', format) &&
    nativeAccumulation(node, 'MatMul', format) === 'float32'
  );
}

/** `[m, k]` or `[1, m, k]`: a product TF's `MatMul` can take. */
const matrixLike = (t: TensorInfo): boolean =>
  t.shape.length === 2 || (t.shape.length === 3 && t.shape[0] === 1);

/**
 * The 16-bit product `op(a) · op(b)` (op = transpose where asked) in `format`, a handle tracked by
 * `scope` with BatchMatMulV2's output shape. Two matrices (or batches of one) go to TF's `MatMul`
 * where it sums in float32: on TF 2.21's CPU kernels it costs a fraction of `BatchMatMulV2` on a
 * small product (0.016 ms against 0.05–0.1 ms at 64×32×128; the same time at W1's sizes), which
 * is what an LSTM's 28 timesteps or a narrow Dense layer are made of. Other batches, and devices
 * where `MatMul` does not sum in float32: `BatchMatMulV2`.
 */
export function runHalfProduct(
  node: NodeBackend,
  scope: HandleScope,
  format: FormatName,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): TfHandle {
  const binding = node.binding;
  if (matrixLike(a) && matrixLike(b) && matMulSumsInFloat32(node, format)) {
    const product = scope.run(
      'MatMul',
      [
        typeAttr(binding, 'T', TF_DTYPES[format]!),
        {name: 'transpose_a', type: binding.TF_ATTR_BOOL, value: transposeA},
        {name: 'transpose_b', type: binding.TF_ATTR_BOOL, value: transposeB},
      ],
      [halfMatrix(node, scope, a, format), halfMatrix(node, scope, b, format)],
    );
    if (a.shape.length === 2 && b.shape.length === 2) return product;
    return scope.run(
      'Reshape',
      [typeAttr(binding, 'T', TF_DTYPES[format]!), typeAttr(binding, 'Tshape', binding.TF_INT32)],
      [product.id, scope.int32([1, ...product.shape])],
    );
  }
  return runHalfOp(
    node,
    scope,
    'BatchMatMulV2',
    format,
    [
      {name: 'adj_x', type: binding.TF_ATTR_BOOL, value: transposeA},
      {name: 'adj_y', type: binding.TF_ATTR_BOOL, value: transposeB},
    ],
    [a, b],
  );
}

/**
 * {@link runHalfProduct} as a float32 tfjs tensor whose data stays the 16-bit result until float32
 * code reads it (`float32Of`); every other handle is deleted, also when TF throws.
 */
export function runNativeProduct(
  node: NodeBackend,
  format: FormatName,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): Tensor {
  const scope = new HandleScope(node.binding);
  try {
    const product = runHalfProduct(node, scope, format, a, b, transposeA, transposeB);
    return float32Of(node, scope, product, format);
  } finally {
    scope.dispose();
  }
}
