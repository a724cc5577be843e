import * as tf from '@tensorflow/tfjs';
import type {Scalar, Tensor} from '@tensorflow/tfjs';

/**
 * Gradient clipping on tensors, used by the fused unscale pass (call inside `tf.tidy`).
 * Each function keeps gradients that need no clipping bit-identical: the norm factor is exactly
 * 1 when the norm is within the limit (Keras computes `g * c / max(norm, c)`, which can change
 * the last bit of unclipped values).
 */

/** Sum of squares of `x`, a scalar. */
export function sumOfSquares(x: Tensor): Scalar {
  return tf.sum(tf.square(x));
}

/**
 * The factor `clipNorm / max(sqrt(sumSquares), clipNorm)`: 1 within the limit, and scaling the
 * norm down to exactly `clipNorm` (up to rounding) above it. NaN when `sumSquares` is NaN.
 */
export function normClipFactor(sumSquares: Scalar, clipNorm: number): Scalar {
  const limit = tf.scalar(clipNorm);
  return tf.div(limit, tf.maximum(tf.sqrt(sumSquares), limit));
}

/**
 * Clips `x` elementwise to `[-clipValue, clipValue]`. What becomes of NaN depends on the backend
 * (wasm returns -clipValue), so check for overflow before clipping.
 */
export function clipByValue<T extends Tensor>(x: T, clipValue: number): T {
  return tf.clipByValue(x, -clipValue, clipValue);
}
