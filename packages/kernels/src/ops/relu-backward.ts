import * as tf from '@tensorflow/tfjs';
import type {Tensor} from '@tensorflow/tfjs';
import {AmpReluGrad} from '../kernel-names.js';

/**
 * Relu's gradient through its output `y`, for the fused ops' registered gradients: the
 * {@link AmpReluGrad} kernel where the backend has one (tfjs-node: one TF op, 16-bit on 16-bit
 * operands; 0 where `y` is NaN), `dy · step(y)` elsewhere (tfjs's own, NaN where `y` is NaN).
 */
export function reluBackward(dy: Tensor, y: Tensor): Tensor {
  if (tf.getKernel(AmpReluGrad, tf.getBackend()) == null) return tf.mul(dy, tf.step(y));
  return tf.engine().runKernel(AmpReluGrad, {dy, y}) as Tensor;
}
