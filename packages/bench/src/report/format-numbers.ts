// Number formats of the tables and findings.

/** `97.25%`. */
export function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(2)}%`;
}

/** `+0.15 pp`, `−0.40 pp`. */
export function signedPp(pp: number): string {
  const sign = pp > 0 ? '+' : pp < 0 ? '−' : '±';
  return `${sign}${Math.abs(pp).toFixed(2)} pp`;
}

/** `2^-20` for exact powers of two, else the number. */
export function powerOfTwo(x: number): string {
  const e = Math.log2(x);
  return Number.isInteger(e) ? `2^${e}` : String(x);
}
