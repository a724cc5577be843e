import * as tf from '@tensorflow/tfjs';
// Types only: importing @tfjs-amp/kernels at run time would register its kernels as a side effect.
import type {NodeBackend, TfBinding, TfOpAttr} from '@tfjs-amp/kernels';

/** The binding members the fused path needs beyond the kernels package's {@link TfBinding}. */
export interface FusedBinding extends TfBinding {
  readonly TF_ATTR_SHAPE: number;
}

/** tfjs-node's backend with the binding typed for resource variables. */
export interface FusedNode extends NodeBackend {
  readonly binding: FusedBinding;
}

/**
 * The active backend as tfjs-node's when it is `tensorflow` and its binding can run resource ops
 * (checked by shape, as the kernels package's `asNodeBackend`); else null.
 */
export function activeFusedNode(): FusedNode | null {
  if (tf.getBackend() !== 'tensorflow') return null;
  const node = tf.backend() as unknown as Partial<FusedNode> | null;
  if (node == null || typeof node.getInputTensorIds !== 'function') return null;
  if (typeof node.createOutputTensor !== 'function') return null;
  const b = node.binding as Partial<FusedBinding> | undefined;
  if (b == null || typeof b.executeOp !== 'function' || typeof b.deleteTensor !== 'function') {
    return null;
  }
  if (typeof b.TF_ATTR_SHAPE !== 'number' || typeof b.createTensor !== 'function') return null;
  return node as FusedNode;
}

/** `{name, type: TF_ATTR_TYPE, value: TF_FLOAT}`: the float32 type attribute `name`. */
export function float32Attr(binding: FusedBinding, name: string): TfOpAttr {
  return {name, type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT};
}

/** A new float32 scalar handle (the caller deletes it). */
export function float32Scalar(binding: FusedBinding, value: number): number {
  return binding.createTensor([], binding.TF_FLOAT, Float32Array.of(value));
}
