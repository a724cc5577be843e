import type {FormatName, FormatSpec} from '../formats/format-spec.js';
import {resolveFormat} from '../formats/index.js';
import {roundFloat32, roundingPlan} from './round-bits.js';
import {assertFloat32Array, type RoundingOptions, saturateOption} from './round-array.js';

/** Storage array for a format's bit patterns: 8-bit formats → Uint8Array, 16-bit → Uint16Array, 32-bit → Uint32Array. */
export type EncodedArray = Uint8Array | Uint16Array | Uint32Array;

/**
 * Rounds `src` to `format` (exactly as {@link roundArray}) and returns the format's own bit
 * patterns: `Uint16Array` for float16 and bfloat16, `Uint8Array` for the float8 formats, and a
 * `Uint32Array` of float32 bits for float32 and tf32 (tf32 has no storage type of its own; its
 * low 13 mantissa bits are zero). NaN encodes as a quiet NaN with its sign and top payload bits
 * (float8_e4m3fn: 0x7f or 0xff). {@link decode} turns the bits back into the same float32 values.
 * @throws TypeError when `src` is not a Float32Array or `format` is unknown.
 * @example encode(new Float32Array([1, -2, 65504]), 'float16') // Uint16Array [0x3c00, 0xc000, 0x7bff]
 */
export function encode(
  src: Float32Array,
  format: FormatName | FormatSpec,
  options?: RoundingOptions,
): EncodedArray {
  assertFloat32Array('encode', 'src', src);
  const spec = resolveFormat(format, 'encode');
  const rounded = new Float32Array(src.length);
  roundFloat32(src, rounded, roundingPlan(spec, saturateOption('encode', options)));
  const bits = new Uint32Array(rounded.buffer);
  if (spec.storageBits === 32) return bits;
  const out = spec.storageBits === 16 ? new Uint16Array(src.length) : new Uint8Array(src.length);
  const encodeOne = storageEncoder(spec);
  for (let i = 0; i < bits.length; i++) out[i] = encodeOne(bits[i]!);
  return out;
}

/** Maps the float32 bits of a value already representable in `spec` to the format's code. */
function storageEncoder(spec: FormatSpec): (bits: number) => number {
  const drop = 23 - spec.mantissaBits;
  const signShift = spec.storageBits - 1;
  if (spec.exponentBits === 8) {
    // Same exponent field as float32 (bfloat16): the code is the top 16 bits.
    return (bits) => bits >>> drop;
  }
  const mantissaMask = (1 << spec.mantissaBits) - 1;
  const exponentAllOnes = (1 << spec.exponentBits) - 1;
  const quantumExponent = 1 - spec.bias - spec.mantissaBits;
  // float8_e4m3fn: the one NaN code per sign. IEEE formats: the quiet bit plus the payload.
  const nanCode =
    spec.nanEncoding === 'all-ones'
      ? (exponentAllOnes << spec.mantissaBits) | mantissaMask
      : exponentAllOnes << spec.mantissaBits;
  return (bits) => {
    const sign = (bits >>> 31) << signShift;
    const a = bits & 0x7fffffff;
    if (a > 0x7f800000) {
      // Rounded NaNs carry the quiet bit in their top mantissa bits already.
      const payload = spec.nanEncoding === 'ieee' ? (a >>> drop) & mantissaMask : 0;
      return sign | nanCode | payload;
    }
    if (a === 0x7f800000) return sign | (exponentAllOnes << spec.mantissaBits);
    if (a === 0) return sign;
    const biased = a >>> 23;
    const exponent = biased - 127 + spec.bias;
    if (exponent >= 1) {
      return sign | (exponent << spec.mantissaBits) | ((a >>> drop) & mantissaMask);
    }
    // A subnormal of the format: an exact count of minSubnormal quanta.
    const significand = (a & 0x007fffff) | 0x00800000;
    return sign | (significand >>> (quantumExponent + 150 - biased));
  };
}
