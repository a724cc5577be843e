import {getFormat} from '../formats/index.js';
import type {FormatName, FormatSpec} from '../formats/format-spec.js';
import {bitRounder} from '../kernels/shared/round-bits.js';
import {bitsOf} from '../kernels/shared/typed-views.js';
import {assertFloat32Array, type RoundingOptions} from './round-array.js';

/** Storage array for a format's bit patterns: 8-bit formats → Uint8Array, 16-bit → Uint16Array, 32-bit → Uint32Array. */
export type EncodedArray = Uint8Array | Uint16Array | Uint32Array;

/**
 * Rounds `src` to `format` (as {@link roundArray}) and returns the format's own bit patterns:
 * `Uint16Array` for float16/bfloat16, `Uint8Array` for float8 formats, and `Uint32Array` of
 * float32 bits for float32 and tf32 (tf32 has no 19-bit storage type; its low 13 bits are zero).
 * NaN encodes as a quiet NaN with the sign and top payload bits kept (0x7f/0xff for float8_e4m3fn).
 * @example encode(new Float32Array([1, -2]), 'float16') // Uint16Array [0x3c00, 0xc000]
 */
export function encode(
  src: Float32Array,
  format: FormatName | FormatSpec,
  options: RoundingOptions = {},
): EncodedArray {
  assertFloat32Array('encode', 'src', src);
  const spec = getFormat(format, 'encode');
  const rounded = new Uint32Array(src.length);
  bitRounder(spec, options.saturate === true)(bitsOf(src), rounded);
  if (spec.storageBits === 32) return rounded;
  const out = spec.storageBits === 16 ? new Uint16Array(src.length) : new Uint8Array(src.length);
  const encodeOne = storageEncoder(spec);
  for (let i = 0; i < rounded.length; i++) out[i] = encodeOne(rounded[i]!);
  return out;
}

/** Maps the float32 bits of an already-representable value to the format's storage bits. */
function storageEncoder(spec: FormatSpec): (bits: number) => number {
  const drop = 23 - spec.mantissaBits;
  const signShift = spec.storageBits - 1;
  if (spec.exponentBits === 8) {
    // Same exponent field as float32 (bfloat16): the storage bits are the top bits.
    return (bits) => bits >>> drop;
  }
  const mantissaMask = (1 << spec.mantissaBits) - 1;
  const exponentAllOnes = (1 << spec.exponentBits) - 1;
  const quantumExp = 1 - spec.bias - spec.mantissaBits;
  const nanCode =
    spec.nanEncoding === 'all-ones'
      ? (exponentAllOnes << spec.mantissaBits) | mantissaMask
      : (exponentAllOnes << spec.mantissaBits) | (1 << (spec.mantissaBits - 1));
  return (bits) => {
    const sign = (bits >>> 31) << signShift;
    const a = bits & 0x7fffffff;
    if (a > 0x7f800000) {
      const payload = spec.nanEncoding === 'ieee' ? (a >>> drop) & mantissaMask : 0;
      return sign | nanCode | payload;
    }
    if (a === 0x7f800000) return sign | (exponentAllOnes << spec.mantissaBits);
    if (a === 0) return sign;
    const biased = a >>> 23;
    const exponent = biased - 127 + spec.bias;
    if (exponent >= 1)
      return sign | (exponent << spec.mantissaBits) | ((a >>> drop) & mantissaMask);
    // Subnormal in the format: an exact count of quanta.
    const significand = (a & 0x007fffff) | 0x00800000;
    return sign | (significand >>> (quantumExp + 150 - biased));
  };
}
