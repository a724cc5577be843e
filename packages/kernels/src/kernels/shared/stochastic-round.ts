import type {FormatSpec} from '../../formats/format-spec.js';
import {invalidChoice, outOfRange} from '../../internal/errors.js';
import {INF_BITS, type RoundingPlan, SIGN_BIT, roundFloat32} from '../../rounding/round-bits.js';

/**
 * Stochastic rounding core, shared by every backend's `AmpQuantize` kernel so that one seed gives
 * the same bits on cpu, wasm, tensorflow and the generic path.
 *
 * A finite x between two neighbouring values of the format, `lo ≤ |x| < lo + q` (q the spacing
 * there), becomes `lo + q` with probability `(|x| − lo) / q` and `lo` otherwise, so the result's
 * expectation is x exactly. The probability is resolved to 2^−32: a 32-bit draw `r` rounds up
 * when `r < (|x| − lo) / q × 2^32`, exact for every format here (at most 23 dropped bits, and
 * below the format's smallest normal, at most 24 significant bits of a float32 below it).
 * Values already representable, zeros (sign kept), ±Inf and NaN come out as in nearest mode, as
 * do results past `maxFinite` (±Inf, NaN for float8_e4m3fn, ±maxFinite with `saturate`).
 *
 * The draws come from a counter-based generator: element i of a call with seed s uses
 * `mix(s, i)` (a 32-bit avalanche hash of the seed's two words and the index), so results depend
 * only on (seed, index, value), never on call order, backend or thread count.
 */
export function stochasticRoundFloat32(
  src: Float32Array,
  dst: Float32Array,
  spec: FormatSpec,
  plan: RoundingPlan,
  seed: number,
): void {
  // Nearest first: it settles zeros, ±Inf, NaN and representable values; only the others change.
  roundFloat32(src, dst, plan);
  if (plan.identity) return;
  const minExponent = 1 - spec.bias;
  const mantissaBits = spec.mantissaBits;
  const maxFinite = spec.maxFinite;
  const overflow = new Float32Array(new Int32Array([plan.overflow]).buffer)[0]!;
  const maxBits = new Int32Array(new Float32Array([maxFinite]).buffer)[0]!;
  const seedLo = seed >>> 0;
  const seedHi = Math.floor(seed / 2 ** 32) >>> 0;
  const key = mix32(mix32(seedLo ^ 0x9e3779b9) ^ (seedHi + 0x7f4a7c15));
  const bits = new Int32Array(src.buffer, src.byteOffset, src.length);
  const out = new Int32Array(dst.buffer, dst.byteOffset, dst.length);
  // Integer fast path for |x| where the format keeps `drop` bits fewer than float32 (its normal
  // range; every finite value for formats with float32's exponent range): round up iff the
  // draw's top `drop` bits, as an integer, are below the dropped bits d, probability d / 2^drop.
  // This is the same event as the general path's `draw < frac·2^32` (frac = d / 2^drop).
  const drop = plan.drop;
  const dropMask = (1 << drop) - 1;
  const shift = 32 - drop;
  const step = 1 << drop;
  const lo = plan.lo;
  const hi = plan.hi;
  const n = src.length;
  for (let i = 0; i < n; i++) {
    const u = bits[i]! | 0;
    const magnitudeBits = u & 0x7fffffff;
    if (magnitudeBits >= INF_BITS) continue; // ±Inf and NaN: as nearest
    const d = u & dropMask;
    const fast = magnitudeBits >= lo && magnitudeBits < hi;
    if (fast && d === 0) continue; // representable
    const draw = mix32(key ^ Math.imul(i, 0x85ebca6b) ^ (i >>> 16)) >>> 0;
    if (fast) {
      // Adding 2^drop to the magnitude carries into the exponent when needed (the next binade).
      const up = draw >>> shift < d;
      const rounded = (magnitudeBits & ~dropMask) + (up ? step : 0);
      if (rounded <= maxBits) {
        out[i] = (u & SIGN_BIT) | rounded;
        continue;
      }
    }
    // General path: below the format's normal range, or rounding past maxFinite.
    const x = src[i]!;
    const a = Math.abs(x);
    const field = magnitudeBits >>> 23;
    const exponent = Math.max(field === 0 ? -126 : field - 127, minExponent);
    const quantum = 2 ** (exponent - mantissaBits);
    const scaled = a / quantum; // exact in float64: a power-of-two scaling
    const lower = Math.floor(scaled);
    const frac = scaled - lower; // exact, in [0, 1)
    if (frac === 0) continue;
    const magnitude = (draw < frac * 4294967296 ? lower + 1 : lower) * quantum;
    const rounded = magnitude > maxFinite ? Math.abs(overflow) : magnitude;
    dst[i] = x < 0 ? -rounded : rounded;
  }
}

/** murmur3's 32-bit finalizer: every input bit flips each output bit with probability ~1/2. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/**
 * The seed when `attrs` ask for stochastic rounding, else null (nearest). Guards direct
 * `runKernel('AmpQuantize', …)` calls the way `quantize` checks its options.
 * @throws TypeError for an unknown `rounding`; RangeError for a seed that is not an integer in
 *   [0, 2^53).
 */
export function stochasticSeed(attrs: object | undefined): number | null {
  const {rounding = 'nearest', seed} = (attrs ?? {}) as {rounding?: unknown; seed?: unknown};
  if (rounding === 'nearest') return null;
  if (rounding !== 'stochastic') {
    throw invalidChoice('AmpQuantize', 'attrs.rounding', rounding, ['nearest', 'stochastic']);
  }
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw outOfRange('AmpQuantize', 'attrs.seed', 'an integer in [0, 2^53)', seed);
  }
  return seed;
}
