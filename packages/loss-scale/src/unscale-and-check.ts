import * as tf from '@tensorflow/tfjs';
import type {Scalar, Tensor} from '@tensorflow/tfjs';
import {clipByValue, normClipFactor, sumOfSquares} from './clipping.js';
import type {ResolvedLossScaleOptions} from './options.js';

/** The clipping and reporting options the pass reads. */
export type UnscaleOptions = Pick<
  ResolvedLossScaleOptions,
  'clipNorm' | 'globalClipNorm' | 'clipValue' | 'reportGradNorm'
>;

/** Result of {@link unscaleAndCheck}. */
export interface UnscaleResult {
  /** Unscaled (and clipped) gradients, position for position; null where the input was null. */
  readonly grads: (Tensor | null)[];
  /** Whether every gradient was finite (and, with norm clipping, every norm representable). */
  readonly isFinite: boolean;
  /** Global L2 norm of the unscaled gradients, with `reportGradNorm` or `globalClipNorm`. */
  readonly gradNorm?: number;
}

/**
 * Unscales every gradient, checks them all for Inf/NaN and clips them, in one pass with one read
 * from the device (a scalar, or two values when a norm is reported); a second read only when the
 * quick check below fails.
 *
 * - Unscaling divides by `scale` (as Keras 3; PyTorch multiplies by the float32 reciprocal, the
 *   same for power-of-two scales). With a power-of-two scale this is exact.
 * - The check is on the unscaled values. Quick form, one reduction per tensor: `sum(u)` is finite
 *   only if every element is (an Inf or NaN makes it Inf or NaN); the per-tensor sums are added
 *   into one scalar. When that total is not finite, the exact form decides, with a second read:
 *   `sum(u * 0)` is 0 for finite `u` and NaN as soon as one element is Inf or NaN, so finite
 *   gradients whose sum overflows are not taken for an overflow. With norm clipping the
 *   squared norms carry the check instead (a norm whose square overflows float32, above ~1.8e19,
 *   counts as an overflow, since no clip factor can be computed for it).
 * - Clipping follows the check: `clipValue`, then `clipNorm` or `globalClipNorm`.
 *
 * The returned tensors are new; the caller disposes them (and still owns `grads`).
 */
export function unscaleAndCheck(
  grads: readonly (Tensor | null | undefined)[],
  scale: number,
  options: UnscaleOptions,
): UnscaleResult {
  const present: number[] = [];
  grads.forEach((g, i) => {
    if (g != null) present.push(i);
  });
  let flag = 0;
  let normSquared: number | undefined;
  const {clipNorm, globalClipNorm, clipValue, reportGradNorm} = options;
  const outs = tf.tidy(() => {
    const scaleT = tf.scalar(scale);
    let us: Tensor[] = present.map((i) => tf.div(grads[i]!, scaleT));
    const checks: Scalar[] = [];
    // Norm clipping checks through the squared norms, unless value clipping would hide an Inf first.
    const elementwise = clipValue != null || (clipNorm == null && globalClipNorm == null);
    const unclipped = us;
    if (elementwise) for (const u of us) checks.push(tf.sum(u));
    const quickChecks = checks.length;
    if (clipValue != null) us = us.map((u) => clipByValue(u, clipValue));
    const needSquares = clipNorm != null || globalClipNorm != null || reportGradNorm;
    const squares = needSquares ? us.map(sumOfSquares) : [];
    let total: Scalar | null = null;
    if (globalClipNorm != null || reportGradNorm) {
      total = squares.length > 0 ? (tf.addN(squares) as Scalar) : tf.scalar(0);
    }
    if (clipNorm != null) {
      for (const s of squares) checks.push(tf.mul(s, 0));
      us = us.map((u, k) => tf.mul(u, normClipFactor(squares[k]!, clipNorm)));
    }
    if (globalClipNorm != null) {
      checks.push(tf.mul(total!, 0));
      const factor = normClipFactor(total!, globalClipNorm);
      us = us.map((u) => tf.mul(u, factor));
    }
    const check: Scalar =
      checks.length === 0 ? tf.scalar(0) : checks.length === 1 ? checks[0]! : tf.addN(checks);
    const readBack = total != null ? tf.stack([check, total]) : check;
    const values = readBack.dataSync(); // the step's one device read
    flag = values[0]!;
    if (!Number.isFinite(flag) && quickChecks > 0) {
      // Overflow, or finite values whose sum overflowed: the exact check tells them apart.
      const zero = tf.scalar(0);
      const exact = [
        ...unclipped.map((u) => tf.sum(tf.mul(u, zero))),
        ...checks.slice(quickChecks),
      ];
      flag = (exact.length === 1 ? exact[0]! : tf.addN(exact)).dataSync()[0]!;
    }
    if (total != null) normSquared = values[1]!;
    return us;
  });
  const out: (Tensor | null)[] = grads.map(() => null);
  present.forEach((i, k) => {
    out[i] = outs[k]!;
  });
  const result: UnscaleResult = {grads: out, isFinite: Number.isFinite(flag)};
  return normSquared === undefined ? result : {...result, gradNorm: Math.sqrt(normSquared)};
}
