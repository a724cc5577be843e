import * as tf from '@tensorflow/tfjs';
import type {Tensor, TensorInfo} from '@tensorflow/tfjs';
import type {FormatName} from '../formats/format-spec.js';
import {HandleScope, type NodeBackend, TF_DTYPES, type TfOpAttr, typeAttr} from './binding.js';
import type {NativeOpName} from './probe.js';

/** An op input: a float32 tfjs tensor (cast to the format natively) or an int32 shape vector. */
export type NativeInput = TensorInfo | {readonly int32: readonly number[]};

/**
 * Runs one TF op in `format` entirely inside libtensorflow: Cast(float32→format) of each float
 * input, the op with `T = format`, Cast(format→float32) of its output. Only the float32 result
 * becomes a tfjs tensor; every intermediate handle is deleted, also when the op throws.
 * The result holds exactly the format's values (what the TF kernel produced, widened exactly).
 */
export function runNativeOp(
  node: NodeBackend,
  op: NativeOpName,
  format: FormatName,
  attrs: readonly TfOpAttr[],
  inputs: readonly NativeInput[],
): Tensor {
  const dtype = TF_DTYPES[format];
  if (dtype == null) throw new Error(`tfjs-amp: ${format} has no TensorFlow dtype.`);
  const binding = node.binding;
  const floats = inputs.filter((x): x is TensorInfo => !('int32' in x));
  // Handles of the float32 inputs; owned by their tfjs tensors, never deleted here.
  const floatIds = node.getInputTensorIds(floats);
  const scope = new HandleScope(binding);
  try {
    let next = 0;
    const ids = inputs.map((x) =>
      'int32' in x
        ? scope.int32(x.int32)
        : scope.cast(floatIds[next++]!, binding.TF_FLOAT, dtype).id,
    );
    const out = scope.run(op, [typeAttr(binding, 'T', dtype), ...attrs], ids);
    const out32 = scope.cast(out.id, dtype, binding.TF_FLOAT);
    const result = node.createOutputTensor(out32);
    scope.release(out32);
    return result;
  } finally {
    scope.dispose();
  }
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
