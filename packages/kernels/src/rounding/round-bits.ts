import type {FormatSpec} from '../formats/format-spec.js';

/**
 * The backend-free rounding core: float32 → format → float32, exactly as hardware converts,
 * worked out on the float32 bit patterns so that cpu, wasm and the conformance sweep share it.
 *
 * Rules (the package README's "Rounding semantics" section is the user-facing copy):
 * - round to nearest, ties to even, on the format's mantissa width;
 * - subnormals of the format are kept (no flush to zero), float32 subnormal inputs included;
 * - the sign of zero is kept (`-1e-30` → `-0` in float16);
 * - a result past `maxFinite` after rounding is an overflow: ±Inf for formats with Inf, NaN for
 *   float8_e4m3fn, ±maxFinite when saturating; ±Inf inputs map the same way;
 * - NaN stays NaN with its sign and the payload bits the format can hold, quiet bit set (x86
 *   F16C and Arm FCVT do this); float8_e4m3fn has one NaN per sign, so its payload is dropped.
 */
export interface RoundingPlan {
  /** The format's name and whether overflow saturates, for messages and caches. */
  readonly key: string;
  /** True for float32: rounding is a copy. */
  readonly identity: boolean;
  /** Float32 mantissa bits dropped (23 − mantissaBits). */
  readonly drop: number;
  /** Added before truncation: half a unit in the last kept place, minus one (`2^(drop−1) − 1`). */
  readonly half: number;
  /** Mask that clears the dropped bits (sign and exponent kept). */
  readonly keep: number;
  /**
   * |x| bit patterns below `lo` are subnormal in the format and are rounded to multiples of
   * `minSubnormal` instead; 0 when the format has float32's exponent range (bfloat16, tf32),
   * where the bit rounding is right for float32 subnormals too.
   */
  readonly lo: number;
  /** |x| bit patterns from `hi` up (to Inf) round past `maxFinite`: they overflow. */
  readonly hi: number;
  /** |x| bits of an overflow's result: Inf, the quiet NaN, or maxFinite when saturating. */
  readonly overflow: number;
  /** NaN payload bits kept (the top `mantissaBits` of the float32 payload; 0 for one-NaN formats). */
  readonly payloadMask: number;
  /** log2 of the format's minSubnormal: the spacing of its values below minNormal. */
  readonly quantumExponent: number;
  /**
   * 2^(quantumExponent + 23), for the SIMD kernel: adding it to a |x| below `minNormal` in
   * float32 arithmetic rounds |x| to a multiple of minSubnormal (ties to even), since that is
   * the float32 spacing at `magic`; subtracting it again is exact.
   */
  readonly magic: number;
}

/** Sign bit as an int32 (`0x80000000 | 0`). */
export const SIGN_BIT = -0x80000000;
/** float32 bits of +Infinity; larger |x| patterns are NaN. */
export const INF_BITS = 0x7f800000;
/** float32 bits of the positive quiet NaN with an empty payload. */
export const QUIET_NAN_BITS = 0x7fc00000;

const plans = new Map<string, RoundingPlan>();

function f32Bits(value: number): number {
  return new Int32Array(new Float32Array([value]).buffer)[0]!;
}

/** The rounding constants of `format` (cached per format and saturate flag). */
export function roundingPlan(format: FormatSpec, saturate: boolean): RoundingPlan {
  const key = `${format.name}${saturate ? '/saturate' : ''}`;
  let plan = plans.get(key);
  if (plan == null) {
    plan = makePlan(format, saturate, key);
    plans.set(key, plan);
  }
  return plan;
}

function makePlan(format: FormatSpec, saturate: boolean, key: string): RoundingPlan {
  const drop = 23 - format.mantissaBits;
  const half = drop === 0 ? 0 : (1 << (drop - 1)) - 1;
  const keep = ~((1 << drop) - 1);
  const maxBits = f32Bits(format.maxFinite);
  // First pattern past maxFinite that no longer rounds down to it: the midpoint, unless
  // maxFinite's last kept bit is even (float8_e4m3fn: 448 = 1.110b × 2^8), where the midpoint
  // itself ties down to maxFinite.
  let hi = INF_BITS;
  if (drop > 0) {
    hi = maxBits + (1 << (drop - 1));
    if (((hi + half + ((hi >> drop) & 1)) & keep) <= maxBits) hi += 1;
  }
  const overflow = saturate ? maxBits : format.hasInf ? INF_BITS : QUIET_NAN_BITS;
  const narrow = format.exponentBits < 8;
  const quantumExponent = 1 - format.bias - format.mantissaBits;
  return Object.freeze({
    key,
    identity: drop === 0,
    drop,
    half,
    keep,
    lo: narrow ? f32Bits(format.minNormal) : 0,
    hi,
    overflow,
    payloadMask: format.nanEncoding === 'ieee' ? keep & 0x007fffff : 0,
    quantumExponent,
    magic: 2 ** (quantumExponent + 23),
  });
}

/** Int32 view over a Float32Array's memory (no copy). */
export function int32View(values: Float32Array): Int32Array {
  return new Int32Array(values.buffer, values.byteOffset, values.length);
}

/**
 * Rounds every value of `src` into `dst` (same length; `dst` may be `src`) following `plan`.
 * Works on any Float32Array, including views on a wasm heap.
 */
export function roundFloat32(src: Float32Array, dst: Float32Array, plan: RoundingPlan): void {
  if (plan.identity) {
    if (src !== dst) dst.set(src);
    return;
  }
  const s = int32View(src);
  const d = int32View(dst);
  const {half, keep, drop, lo, hi, overflow, payloadMask, quantumExponent} = plan;
  const n = s.length;
  const n4 = n & ~3;
  if (lo === 0) roundWide(s, d, n4, half, keep, drop, hi, overflow, payloadMask);
  else roundNarrow(s, d, n4, half, keep, drop, lo, hi, overflow, payloadMask, quantumExponent);
  // The 0–3 elements past the blocks of four, element by element.
  for (let i = n4; i < n; i++) {
    const u = s[i]! | 0;
    d[i] =
      lo === 0
        ? roundOneWide(u, half, keep, drop, hi, overflow, payloadMask)
        : roundOneNarrow(u, half, keep, drop, lo, hi, overflow, payloadMask, quantumExponent);
  }
}

// Speed notes (V8): every constant is an argument coerced with `| 0`, so it stays an int32 in a
// register (closure variables or object fields cost ~1.5×). Four elements share one range check
// (the sign bits of four differences ANDed together), so the common case — all four normal —
// is one well-predicted branch and four integer roundings; any other block goes element by
// element through `roundOneWide` / `roundOneNarrow`. The loops end right after their last
// block: code after a hot loop has no type feedback when V8 compiles the loop on-stack, and
// its deoptimization there repeated on every later call (measured 5–10× slower).

/** Formats with float32's 8-bit exponent (bfloat16, tf32): float32 subnormals need no extra step. */
function roundWide(
  s: Int32Array,
  d: Int32Array,
  n4: number,
  half: number,
  keep: number,
  drop: number,
  hi: number,
  overflow: number,
  payloadMask: number,
): void {
  half |= 0;
  keep |= 0;
  drop |= 0;
  hi |= 0;
  n4 |= 0;
  for (let i = 0; i < n4; i += 4) {
    const u0 = s[i]! | 0;
    const u1 = s[i + 1]! | 0;
    const u2 = s[i + 2]! | 0;
    const u3 = s[i + 3]! | 0;
    // |u| − hi < 0 for each ⇔ all four round to finite values (|u| and hi are both < 2^31).
    // Adding to the low 31 bits then cannot carry into the sign bit.
    const h0 = (u0 & 0x7fffffff) - hi;
    const h1 = (u1 & 0x7fffffff) - hi;
    const h2 = (u2 & 0x7fffffff) - hi;
    const h3 = (u3 & 0x7fffffff) - hi;
    if ((h0 & h1 & h2 & h3) < 0) {
      d[i] = (u0 + half + ((u0 >> drop) & 1)) & keep;
      d[i + 1] = (u1 + half + ((u1 >> drop) & 1)) & keep;
      d[i + 2] = (u2 + half + ((u2 >> drop) & 1)) & keep;
      d[i + 3] = (u3 + half + ((u3 >> drop) & 1)) & keep;
    } else {
      d[i] = roundOneWide(u0, half, keep, drop, hi, overflow, payloadMask);
      d[i + 1] = roundOneWide(u1, half, keep, drop, hi, overflow, payloadMask);
      d[i + 2] = roundOneWide(u2, half, keep, drop, hi, overflow, payloadMask);
      d[i + 3] = roundOneWide(u3, half, keep, drop, hi, overflow, payloadMask);
    }
  }
}

function roundOneWide(
  u: number,
  half: number,
  keep: number,
  drop: number,
  hi: number,
  overflow: number,
  payloadMask: number,
): number {
  if ((u & 0x7fffffff) < hi) return (u + half + ((u >> drop) & 1)) & keep;
  return special(u, overflow, payloadMask);
}

/** Formats with a narrower exponent (float16, float8): |x| below minNormal becomes a subnormal. */
function roundNarrow(
  s: Int32Array,
  d: Int32Array,
  n4: number,
  half: number,
  keep: number,
  drop: number,
  lo: number,
  hi: number,
  overflow: number,
  payloadMask: number,
  quantumExponent: number,
): void {
  half |= 0;
  keep |= 0;
  drop |= 0;
  lo |= 0;
  hi |= 0;
  n4 |= 0;
  for (let i = 0; i < n4; i += 4) {
    const u0 = s[i]! | 0;
    const u1 = s[i + 1]! | 0;
    const u2 = s[i + 2]! | 0;
    const u3 = s[i + 3]! | 0;
    const a0 = u0 & 0x7fffffff;
    const a1 = u1 & 0x7fffffff;
    const a2 = u2 & 0x7fffffff;
    const a3 = u3 & 0x7fffffff;
    // Sign bit set ⇔ lo ≤ |u| < hi (normal in the format) or |u| = 0: the integer rounding is
    // right for both (zero is common: ReLU outputs, padding).
    const m0 = ((a0 - hi) & ~(a0 - lo)) | (a0 - 1);
    const m1 = ((a1 - hi) & ~(a1 - lo)) | (a1 - 1);
    const m2 = ((a2 - hi) & ~(a2 - lo)) | (a2 - 1);
    const m3 = ((a3 - hi) & ~(a3 - lo)) | (a3 - 1);
    if ((m0 & m1 & m2 & m3) < 0) {
      d[i] = (u0 + half + ((u0 >> drop) & 1)) & keep;
      d[i + 1] = (u1 + half + ((u1 >> drop) & 1)) & keep;
      d[i + 2] = (u2 + half + ((u2 >> drop) & 1)) & keep;
      d[i + 3] = (u3 + half + ((u3 >> drop) & 1)) & keep;
    } else {
      d[i] = roundOneNarrow(u0, half, keep, drop, lo, hi, overflow, payloadMask, quantumExponent);
      d[i + 1] = roundOneNarrow(
        u1,
        half,
        keep,
        drop,
        lo,
        hi,
        overflow,
        payloadMask,
        quantumExponent,
      );
      d[i + 2] = roundOneNarrow(
        u2,
        half,
        keep,
        drop,
        lo,
        hi,
        overflow,
        payloadMask,
        quantumExponent,
      );
      d[i + 3] = roundOneNarrow(
        u3,
        half,
        keep,
        drop,
        lo,
        hi,
        overflow,
        payloadMask,
        quantumExponent,
      );
    }
  }
}

function roundOneNarrow(
  u: number,
  half: number,
  keep: number,
  drop: number,
  lo: number,
  hi: number,
  overflow: number,
  payloadMask: number,
  quantumExponent: number,
): number {
  const a = u & 0x7fffffff;
  if (a >= hi) return special(u, overflow, payloadMask);
  if (a >= lo) return (u + half + ((u >> drop) & 1)) & keep;
  return (u & SIGN_BIT) | subnormalBits(a, quantumExponent);
}

/**
 * Rounds a positive float32 (bits `a`, below the format's minNormal) to a multiple of
 * 2^quantumExponent (the format's minSubnormal), ties to even, and returns its float32 bits.
 * Only for formats whose subnormals are float32 normals (narrower exponent than float32).
 */
function subnormalBits(a: number, quantumExponent: number): number {
  const biased = a >>> 23;
  if (biased === 0) return 0; // float32 subnormals: far below half the format's minSubnormal
  const significand = (a & 0x007fffff) | 0x00800000; // |x| = significand × 2^(biased − 150)
  const shift = quantumExponent + 150 - biased; // |x| / quantum = significand / 2^shift, shift ≥ 1
  if (shift >= 25) return 0; // |x| < quantum / 2 (the exact half needs shift = 24, below)
  const quanta = (significand + (1 << (shift - 1)) - 1 + ((significand >>> shift) & 1)) >>> shift;
  if (quanta === 0) return 0;
  // quanta × 2^quantumExponent as float32 bits; quanta = 2^mantissaBits is minNormal itself.
  const top = 31 - Math.clz32(quanta);
  return ((quantumExponent + top + 127) << 23) | ((quanta << (23 - top)) & 0x007fffff);
}

/** Overflow, ±Inf and NaN: `u` has |u| ≥ hi. */
function special(u: number, overflow: number, payloadMask: number): number {
  const a = u & 0x7fffffff;
  const magnitude = a > INF_BITS ? QUIET_NAN_BITS | (a & payloadMask) : overflow;
  return (u & SIGN_BIT) | magnitude;
}

/**
 * Runs both loops once on a few values of every kind (normal, zero, subnormal, float32
 * subnormal, overflow, Inf, NaN; a length with a tail) so that V8 has type feedback for every
 * branch before it optimizes them. Without it, the first large array gets optimized code that
 * deoptimizes on the first rare branch it meets, and V8 may keep re-entering that code on later
 * calls (measured: 4–10× slower).
 */
function warmUp(): void {
  const values = new Float32Array([1.5, 0, -1e-6, 1e-30, 1e-45, 1e9, Number.POSITIVE_INFINITY]);
  const out = new Float32Array(values.length);
  const make = (spec: Parameters<typeof makePlan>[0]) => makePlan(spec, false, 'warm-up');
  const narrow = make({
    name: 'float16',
    storageBits: 16,
    exponentBits: 5,
    mantissaBits: 10,
    bias: 15,
    maxFinite: 65504,
    minNormal: 2 ** -14,
    minSubnormal: 2 ** -24,
    epsilon: 2 ** -10,
    hasInf: true,
    nanEncoding: 'ieee',
  });
  const wide = make({
    name: 'bfloat16',
    storageBits: 16,
    exponentBits: 8,
    mantissaBits: 7,
    bias: 127,
    maxFinite: (2 - 2 ** -7) * 2 ** 127,
    minNormal: 2 ** -126,
    minSubnormal: 2 ** -133,
    epsilon: 2 ** -7,
    hasInf: true,
    nanEncoding: 'ieee',
  });
  values[6] = Number.NaN;
  for (let i = 0; i < 12; i++) {
    for (const plan of [narrow, wide]) {
      roundFloat32(values, out, plan);
      roundFloat32(values.subarray(0, 4), out.subarray(0, 4), plan);
    }
    values[6] = i % 2 === 0 ? Number.POSITIVE_INFINITY : Number.NaN;
  }
}

warmUp();
