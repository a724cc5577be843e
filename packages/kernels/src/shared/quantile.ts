/**
 * The `q` quantile (0..1) of values sorted ascending, interpolating linearly between ranks
 * (numpy's default `linear` method, R type 7). NaN for no values.
 * @throws RangeError when `q` is not in [0, 1].
 * @example quantile([1, 2, 3, 4], 0.5) // 2.5
 */
export function quantile(sorted: readonly number[], q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile: q must be in [0, 1]; got ${q}.`);
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * A time ratio in the one convention of every tfjs-amp table: candidate / baseline, so lower is
 * faster (0.8× = the candidate takes 80% of the baseline's time).
 * @example timeRatio(8, 10) // 0.8
 */
export function timeRatio(candidateMs: number, baselineMs: number): number {
  return candidateMs / baselineMs;
}
