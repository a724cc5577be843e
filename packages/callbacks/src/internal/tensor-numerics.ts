import * as tf from '@tensorflow/tfjs';
import {type FormatName, getFormat, quantize} from '@tfjs-amp/kernels';

/**
 * Counters of one tensor's values in a format. `size` is the number of values; the other counts
 * are disjoint except `zero` (values already ±0, not counted as underflow).
 */
export interface TensorNumerics {
  /** Number of values. */
  size: number;
  /** Largest |x| over the finite values (0 when none is finite). */
  maxAbs: number;
  /** `maxAbs` / the format's largest finite value. Above 1 means `overflow` > 0. */
  maxAbsRatio: number;
  /** NaN values. */
  nan: number;
  /** ±Infinity values. */
  inf: number;
  /** Finite values that round to ±Inf (or NaN, for formats without Inf) in the format. */
  overflow: number;
  /** Non-zero values that round to ±0 in the format. */
  underflow: number;
  /** Values that round to a non-zero subnormal of the format. */
  subnormal: number;
  /** Values that are ±0 already. */
  zero: number;
}

/** Column order of the count row {@link numericsTensors} returns. */
const COUNT_COLUMNS = ['nan', 'inf', 'overflow', 'underflow', 'subnormal', 'zero'] as const;

/**
 * The device side of {@link TensorNumerics}: a scalar (max |x| over finite values) and an int32
 * vector of counts in {@link COUNT_COLUMNS} order, computed with tfjs ops and one `quantize` to
 * `format`, so rounding at the format's edges is exactly the kernel's (ties to even, subnormals).
 * Runs in its own `tidy`; the caller owns (and disposes) both results.
 */
export function numericsTensors(
  x: tf.Tensor,
  format: FormatName,
): {maxAbs: tf.Scalar; counts: tf.Tensor1D} {
  const spec = getFormat(format);
  return tf.tidy(() => {
    const flat = x.reshape([-1]);
    const finite = tf.isFinite(flat);
    const abs = tf.abs(flat);
    const maxAbs = tf.max(tf.where(finite, abs, tf.zerosLike(abs))) as tf.Scalar;
    const q = quantize(flat, format, {gradFormat: null});
    const isZero = tf.equal(flat, 0);
    const qZero = tf.equal(q, 0);
    // One [6, n] mask, one cast, one sum: far fewer ops than six separate counts.
    const masks = tf.stack([
      tf.isNaN(flat),
      tf.isInf(flat),
      tf.logicalAnd(finite, tf.logicalNot(tf.isFinite(q))),
      tf.logicalAnd(tf.logicalNot(isZero), qZero),
      tf.logicalAnd(tf.logicalNot(qZero), tf.less(tf.abs(q), spec.minNormal)),
      isZero,
    ]);
    const counts = tf.sum(tf.cast(masks, 'int32'), 1) as tf.Tensor1D;
    return {maxAbs, counts};
  });
}

/** Builds the {@link TensorNumerics} of a tensor of `size` values from the read-back numbers. */
export function toTensorNumerics(
  size: number,
  maxAbs: number,
  counts: ArrayLike<number>,
  format: FormatName,
): TensorNumerics {
  const out: TensorNumerics = {
    size,
    maxAbs,
    maxAbsRatio: maxAbs / getFormat(format).maxFinite,
    nan: 0,
    inf: 0,
    overflow: 0,
    underflow: 0,
    subnormal: 0,
    zero: 0,
  };
  COUNT_COLUMNS.forEach((key, i) => {
    out[key] = counts[i]!;
  });
  return out;
}

/** Adds `b` into `a` (several outputs of one layer): counts add up, `maxAbs` is the larger. */
export function mergeTensorNumerics(a: TensorNumerics, b: TensorNumerics): TensorNumerics {
  const maxAbs = Math.max(a.maxAbs, b.maxAbs);
  return {
    size: a.size + b.size,
    maxAbs,
    maxAbsRatio: Math.max(a.maxAbsRatio, b.maxAbsRatio),
    nan: a.nan + b.nan,
    inf: a.inf + b.inf,
    overflow: a.overflow + b.overflow,
    underflow: a.underflow + b.underflow,
    subnormal: a.subnormal + b.subnormal,
    zero: a.zero + b.zero,
  };
}

/** Whether the tensor held a non-finite value or a finite one beyond the format's range. */
export function hasOverflow(n: TensorNumerics): boolean {
  return n.nan > 0 || n.inf > 0 || n.overflow > 0;
}
