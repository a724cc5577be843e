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
  const present = presentIndices(grads);
  let flag = 0;
  let normSquared: number | undefined;
  const outs = tf.tidy(() => {
    const pass = unscalePass(
      present.map((i) => grads[i]!),
      tf.scalar(scale),
      options,
    );
    const {checks, quickChecks, total} = pass;
    const check: Scalar =
      checks.length === 0 ? tf.scalar(0) : checks.length === 1 ? checks[0]! : tf.addN(checks);
    const readBack = total != null ? tf.stack([check, total]) : check;
    const values = readBack.dataSync(); // the step's one device read
    flag = values[0]!;
    if (!Number.isFinite(flag) && quickChecks > 0) {
      // Overflow, or finite values whose sum overflowed: the exact check tells them apart.
      flag = exactCheck(pass).dataSync()[0]!;
    }
    if (total != null) normSquared = values[1]!;
    return pass.us;
  });
  const result: UnscaleResult = {
    grads: placeBack(grads, present, outs),
    isFinite: Number.isFinite(flag),
  };
  return normSquared === undefined ? result : {...result, gradNorm: Math.sqrt(normSquared)};
}

/** Result of {@link unscaleAndCheckOnDevice}: every value stays a tensor on the device. */
export interface DeviceUnscaleResult {
  /** Unscaled (and clipped) gradients, position for position; null where the input was null. */
  readonly grads: (Tensor | null)[];
  /** A bool scalar: whether every gradient was finite (the same decision as {@link unscaleAndCheck}). */
  readonly isFinite: Scalar;
  /**
   * Squared global L2 norm (a float32 scalar), with `reportGradNorm` or `globalClipNorm`; its
   * square root is taken in JS once read, as {@link unscaleAndCheck} does, so both agree.
   */
  readonly gradNormSquared?: Scalar;
}

/**
 * {@link unscaleAndCheck} without any read from the device: the same unscaled and clipped
 * gradients (the same ops, so the same bits), and the decision as a bool scalar tensor.
 * Without a read there is no cheap first try, so the check is always the exact form (`sum(u * 0)`
 * per tensor, plus the squared norms with norm clipping): one more multiply-and-sum per gradient
 * than a clean synchronous step. `scale` is a float32 scalar tensor (the caller's state).
 * Every returned tensor is new and kept (safe inside `tf.tidy`); the caller disposes them.
 */
export function unscaleAndCheckOnDevice(
  grads: readonly (Tensor | null | undefined)[],
  scale: Scalar,
  options: UnscaleOptions,
): DeviceUnscaleResult {
  const present = presentIndices(grads);
  const {outs, finite, norm} = tf.tidy(() => {
    const pass = unscalePass(
      present.map((i) => grads[i]!),
      scale,
      options,
    );
    const exact = exactCheck(pass);
    return {
      outs: pass.us,
      finite: tf.isFinite(exact) as Scalar,
      norm: pass.total ?? undefined,
    };
  });
  const result = {grads: placeBack(grads, present, outs), isFinite: finite};
  return norm === undefined ? result : {...result, gradNormSquared: norm};
}

/** The tensors of one unscale pass (built inside a tidy). */
interface UnscalePass {
  /** Unscaled, clipped gradients. */
  us: Tensor[];
  /** Unscaled gradients before clipping. */
  unclipped: Tensor[];
  /** Whether the elementwise check applies (no norm clipping, or value clipping). */
  elementwise: boolean;
  /** The quick sums (first `quickChecks` entries), then the norm checks (`square * 0`). */
  checks: Scalar[];
  quickChecks: number;
  /** Sum of all squared norms, when a global norm is clipped or reported. */
  total: Scalar | null;
}

function unscalePass(
  grads: Tensor[],
  scaleT: Scalar,
  options: UnscaleOptions,
  quick = true,
): UnscalePass {
  const {clipNorm, globalClipNorm, clipValue, reportGradNorm} = options;
  let us: Tensor[] = grads.map((g) => tf.div(g, scaleT));
  const checks: Scalar[] = [];
  // Norm clipping checks through the squared norms, unless value clipping would hide an Inf first.
  const elementwise = clipValue != null || (clipNorm == null && globalClipNorm == null);
  const unclipped = us;
  // The quick sums: one reduction each, worth it only when a read confirms them (sync mode).
  if (elementwise && quick) for (const u of us) checks.push(tf.sum(u));
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
  return {us, unclipped, elementwise, checks, quickChecks, total};
}

/** 0 when every gradient (and norm) is finite, NaN otherwise: `sum(u * 0)` per tensor + norm checks. */
function exactCheck(pass: UnscalePass): Scalar {
  const zero = tf.scalar(0);
  const exact = [
    ...(pass.elementwise ? pass.unclipped.map((u) => tf.sum(tf.mul(u, zero)) as Scalar) : []),
    ...pass.checks.slice(pass.quickChecks),
  ];
  if (exact.length === 0) return tf.scalar(0);
  return exact.length === 1 ? exact[0]! : (tf.addN(exact) as Scalar);
}

function presentIndices(grads: readonly (Tensor | null | undefined)[]): number[] {
  const present: number[] = [];
  grads.forEach((g, i) => {
    if (g != null) present.push(i);
  });
  return present;
}

function placeBack(
  grads: readonly (Tensor | null | undefined)[],
  present: number[],
  outs: Tensor[],
): (Tensor | null)[] {
  const out: (Tensor | null)[] = grads.map(() => null);
  present.forEach((i, k) => {
    out[i] = outs[k]!;
  });
  return out;
}
