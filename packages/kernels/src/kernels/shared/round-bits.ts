import type {FormatSpec} from '../../formats/format-spec.js';

/**
 * Rounds float32 bit patterns to a format's representable values, exactly as hardware converts
 * float32 → format → float32: round-to-nearest-even, subnormals kept, signed zero kept.
 *
 * Specials: NaN stays NaN with its sign and top payload bits, quiet bit set (as x86 F16C and
 * ml_dtypes do; float8_e4m3fn has one NaN). Overflow (a result past `maxFinite` after rounding)
 * gives ±Inf, or ±maxFinite when saturating, or NaN for formats without Inf. ±Inf inputs give
 * ±Inf, ±maxFinite when saturating, or NaN for formats without Inf.
 *
 * Works on raw bits so that cpu and wasm share one core; no tfjs here.
 */
export type BitRounder = (src: Uint32Array, dst: Uint32Array) => void;

const EXP_MASK = 0x7f800000;
const QUIET_NAN = 0x7fc00000;

const cache = new Map<string, BitRounder>();

/** A rounder for `format`, specialized on its constants (cached per format and saturate flag). */
export function bitRounder(format: FormatSpec, saturate: boolean): BitRounder {
  const key = `${format.name}/${saturate}`;
  let rounder = cache.get(key);
  if (rounder == null) {
    rounder = makeBitRounder(format, saturate);
    cache.set(key, rounder);
  }
  return rounder;
}

function f32Bits(value: number): number {
  return new Uint32Array(new Float32Array([value]).buffer)[0]!;
}

function makeBitRounder(format: FormatSpec, saturate: boolean): BitRounder {
  if (format.mantissaBits === 23) {
    return (src, dst) => {
      if (src !== dst) dst.set(src);
    };
  }
  const drop = 23 - format.mantissaBits; // float32 mantissa bits removed
  const halfMinusOne = (1 << (drop - 1)) - 1;
  const keepMask = ~((1 << drop) - 1);
  const nanPayloadMask = format.nanEncoding === 'ieee' ? keepMask & 0x007fffff : 0;
  const maxFiniteBits = f32Bits(format.maxFinite);
  const minNormalBits = f32Bits(format.minNormal);
  const overflowBits = saturate ? maxFiniteBits : format.hasInf ? EXP_MASK : QUIET_NAN;
  // Target subnormals lie among float32 normals only when the exponent field is narrower.
  const narrowExponent = format.exponentBits < 8;
  // log2 of the smallest subnormal: the spacing of values below minNormal.
  const quantumExp = 1 - format.bias - format.mantissaBits;

  return (src, dst) => {
    const n = src.length;
    for (let i = 0; i < n; i++) {
      const u = src[i]!;
      const sign = u & 0x80000000;
      const a = u & 0x7fffffff;
      let out: number;
      if (a >= minNormalBits || !narrowExponent) {
        if (a >= EXP_MASK) {
          out = a === EXP_MASK ? overflowBits : QUIET_NAN | (a & nanPayloadMask);
        } else {
          // Round half to even on the dropped bits; a carry ripples into the exponent.
          const r = (a + halfMinusOne + ((a >>> drop) & 1)) & keepMask;
          out = r > maxFiniteBits ? overflowBits : r;
        }
      } else {
        out = roundToSubnormal(a, quantumExp);
      }
      dst[i] = sign | out;
    }
  };
}

/**
 * Rounds a positive float32 (bits `a`, below the format's min normal) to a multiple of
 * 2^quantumExp, returning float32 bits. Only for formats whose subnormals are float32 normals.
 */
function roundToSubnormal(a: number, quantumExp: number): number {
  const biased = a >>> 23;
  if (biased === 0) return 0; // float32 subnormals are far below half the smallest quantum
  const significand = (a & 0x007fffff) | 0x00800000; // value = significand × 2^(biased - 150)
  const shift = quantumExp + 150 - biased;
  if (shift >= 25) return 0; // value < quantum / 2
  const quanta = (significand + (1 << (shift - 1)) - 1 + ((significand >>> shift) & 1)) >>> shift;
  if (quanta === 0) return 0;
  // quanta × 2^quantumExp as float32 bits (quanta ≤ 2^mantissaBits; exactly 2^M is min normal).
  const top = 31 - Math.clz32(quanta);
  return ((quantumExp + top + 127) << 23) | ((quanta << (23 - top)) & 0x007fffff);
}
