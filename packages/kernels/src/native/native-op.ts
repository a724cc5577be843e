import * as tf from '@tensorflow/tfjs';
import type {Tensor, TensorInfo} from '@tensorflow/tfjs';
import type {FormatName} from '../formats/format-spec.js';
import {
  HandleScope,
  type NodeBackend,
  TF_DTYPES,
  type TfHandle,
  type TfOpAttr,
  typeAttr,
} from './binding.js';
import {deferredFloat32, halfOf} from './half-cache.js';
import type {NativeOpName} from './probe.js';

/**
 * An op input: a float32 tfjs tensor (in the format through the cast cache), an int32 vector, or
 * a 16-bit handle an earlier op of the same kernel produced.
 */
export type NativeInput =
  | TensorInfo
  | {readonly int32: readonly number[]}
  | {readonly half: TfHandle};

/**
 * Runs one TF op in `format` inside libtensorflow and returns its 16-bit output handle, tracked by
 * `scope`. Float inputs come from the cast cache (`halfOf`): a tensor already cast to the format
 * (a weight read by the forward and both backward products, an activation a native kernel
 * produced) is not cast again; a new cast is cached beside its float32 tensor.
 */
export function runHalfOp(
  node: NodeBackend,
  scope: HandleScope,
  op: NativeOpName | string,
  format: FormatName,
  attrs: readonly TfOpAttr[],
  inputs: readonly NativeInput[],
): TfHandle {
  const dtype = TF_DTYPES[format];
  if (dtype == null) throw new Error(`tfjs-amp: ${format} has no TensorFlow dtype.`);
  const ids = inputs.map((x) => {
    if ('int32' in x) return scope.int32(x.int32);
    if ('half' in x) return x.half.id;
    return halfOf(node, scope, x, format);
  });
  return scope.run(op, [typeAttr(node.binding, 'T', dtype), ...attrs], ids);
}

/**
 * The float32 tfjs tensor of a 16-bit handle: deferred (`deferredFloat32`: its data stays the
 * 16-bit handle until float32 code reads it, then Cast(format → float32), exact), and marked as
 * holding only `format` values, so `quantize` and the straight-through gradient skip it. The
 * next native kernel reads the 16-bit handle as it is.
 */
export function float32Of(
  node: NodeBackend,
  scope: HandleScope,
  half: TfHandle,
  format: FormatName,
): Tensor {
  scope.release(half);
  return deferredFloat32(node, half, format) as Tensor;
}

/**
 * Runs one TF op in `format` entirely inside libtensorflow: the float inputs in the format (cast
 * once, through the cast cache), the op with `T = format`, its output cast back to float32. Only
 * the float32 result becomes a tfjs tensor; every intermediate handle is deleted or cached, also
 * when the op throws. The result holds exactly the format's values (what the TF kernel produced,
 * widened exactly).
 */
export function runNativeOp(
  node: NodeBackend,
  op: NativeOpName | string,
  format: FormatName,
  attrs: readonly TfOpAttr[],
  inputs: readonly NativeInput[],
): Tensor {
  const scope = new HandleScope(node.binding);
  try {
    return float32Of(node, scope, runHalfOp(node, scope, op, format, attrs, inputs), format);
  } finally {
    scope.dispose();
  }
}

/**
 * TF's op for each tfjs fused activation that is exact or correctly rounded in a 16-bit format.
 * Elu and sigmoid are not: TF evaluates `exp(x) - 1` in the format, which loses every digit near
 * 0 (errors of 4 units of the format seen); they run in float32 on the widened sum.
 */
const HALF_ACTIVATIONS: Readonly<Record<string, string>> = Object.freeze({
  leakyrelu: 'LeakyRelu',
  relu: 'Relu',
  relu6: 'Relu6',
});

/** What a fused kernel adds after its product: bias and activation (tfjs's fused attributes). */
export interface Epilogue {
  readonly bias?: TensorInfo;
  readonly activation?: string;
  readonly preluActivationWeights?: TensorInfo;
  readonly leakyreluAlpha?: number;
}

/**
 * A fused kernel (`_FusedMatMul`, FusedConv2D, FusedDepthwiseConv2D) after its 16-bit product
 * `half`: `activation(half + bias)`. In the format when TF has the ops for it on this device
 * (AddV2 with the bias cast once through the cast cache, then Relu, Relu6 or LeakyRelu in the
 * format, as Keras computes a mixed Dense layer); the result holds the format's values and keeps
 * its 16-bit handle for the next layer. Otherwise (elu, sigmoid, prelu, an op the device lacks in
 * the format) in float32 on the widened product, as tfjs-node composes it.
 */
export function epilogue(
  node: NodeBackend,
  scope: HandleScope,
  half: TfHandle,
  format: FormatName,
  {bias, activation, preluActivationWeights, leakyreluAlpha}: Epilogue,
  inFormat: (op: string) => boolean,
): Tensor {
  const act = activation == null || activation === 'linear' ? null : HALF_ACTIVATIONS[activation];
  const native =
    (bias == null || inFormat('AddV2')) &&
    (activation == null || activation === 'linear' || (act != null && inFormat(act)));
  if (!native) {
    const y = float32Of(node, scope, half, format);
    return tf.tidy(() =>
      biasAndActivation(node, y, bias, activation, preluActivationWeights, leakyreluAlpha),
    );
  }
  let out = half;
  if (bias != null) out = runHalfOp(node, scope, 'AddV2', format, [], [{half: out}, bias]);
  if (act != null) {
    const attrs: TfOpAttr[] =
      act === 'LeakyRelu'
        ? [{name: 'alpha', type: node.binding.TF_ATTR_FLOAT, value: leakyreluAlpha ?? 0.2}]
        : [];
    out = runHalfOp(node, scope, act, format, attrs, [{half: out}]);
  }
  return float32Of(node, scope, out, format);
}

/**
 * The fused kernels' float32 epilogue, `activation(y + bias)` with tfjs-node's activations. Call
 * it inside `tf.tidy` (kernels have no scope of their own), which disposes `y` and the sum.
 */
export function biasAndActivation(
  node: NodeBackend,
  y: Tensor,
  bias: TensorInfo | undefined,
  activation: string | undefined,
  preluActivationWeights: TensorInfo | undefined,
  leakyreluAlpha: number | undefined,
): Tensor {
  const biased = bias == null ? y : tf.add(y, bias as Tensor);
  return node.applyActivation(biased, activation, preluActivationWeights as Tensor, leakyreluAlpha);
}
