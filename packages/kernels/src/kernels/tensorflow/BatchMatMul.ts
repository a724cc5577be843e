import {
  BatchMatMul,
  type BatchMatMulAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import {HandleScope} from '../../native/binding.js';
import {runHalfProduct} from '../../native/half-product.js';
import {float32Of} from '../../native/native-op.js';
import {type OverrideArgs, productMacs, runOverride} from '../../native/overrides.js';

const backendName = 'tensorflow';

/**
 * BatchMatMul (also what tfjs-node's `_FusedMatMul` runs through) in the compute format: TF's
 * `MatMul` (two matrices) or `BatchMatMulV2` with `T = half | bfloat16` on inputs cast natively
 * (`runHalfProduct`), the result a float32 tensor whose data stays 16-bit until float32 code
 * reads it. Outside a compute-format context: tfjs-node's own kernel.
 */
export const batchMatMul: KernelFunc = (args) => {
  const {a, b} = args.inputs as {a: TensorInfo; b: TensorInfo};
  const {transposeA, transposeB} = args.attrs as unknown as BatchMatMulAttrs;
  return runOverride(args as OverrideArgs, {
    kernelName: BatchMatMul,
    backendName,
    op: 'BatchMatMulV2',
    matrixInputs: [a, b],
    macs: productMacs(a, b, transposeA === true),
    native: (node, format) => {
      const scope = new HandleScope(node.binding);
      try {
        const product = runHalfProduct(
          node,
          scope,
          format,
          a,
          b,
          transposeA === true,
          transposeB === true,
        );
        return float32Of(node, scope, product, format);
      } finally {
        scope.dispose();
      }
    },
  });
};

export const batchMatMulConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName,
  kernelFunc: batchMatMul,
};
