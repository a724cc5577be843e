import * as tf from '@tensorflow/tfjs';
import type {Tensor} from '@tensorflow/tfjs';
import {AmpBiasGrad} from '../kernel-names.js';

/**
 * A bias's gradient for the fused ops' registered gradients: `d` summed over every axis but the
 * last. The {@link AmpBiasGrad} kernel where the backend has one (tfjs-node: 16-bit on a 16-bit
 * native gradient, float32 sums rounded once), tfjs's sum elsewhere.
 */
export function biasBackward(d: Tensor): Tensor {
  if (tf.getKernel(AmpBiasGrad, tf.getBackend()) != null) {
    return tf.engine().runKernel(AmpBiasGrad, {dy: d}) as Tensor;
  }
  const n = d.shape[d.rank - 1]!;
  return tf.sum(d.rank === 2 ? d : tf.reshape(d, [-1, n]), 0);
}
