import {resolveFormat} from '../formats/index.js';
import type {FormatName, FormatSpec} from '../formats/format-spec.js';
import {describeValue, wrongType} from '../internal/errors.js';
import type {EncodedArray} from './encode.js';

const tables = new Map<string, Uint32Array>();

/**
 * Turns a format's codes back into float32 values, exactly (every value of these formats is a
 * float32). Takes what {@link encode} returns: `Uint16Array` for float16 and bfloat16,
 * `Uint8Array` for the float8 formats, `Uint32Array` of float32 bits for float32 and tf32
 * (passed through as they are). NaN codes keep their sign and payload bits, unquieted, as a
 * widening conversion does; so `decode(encode(x))` equals `roundArray(x)` bit for bit.
 * @throws TypeError when `bits` is not the storage array type of `format`, or `format` is unknown.
 * @example decode(new Uint16Array([0x3c00, 0x7bff]), 'float16') // Float32Array [1, 65504]
 */
export function decode(bits: EncodedArray, format: FormatName | FormatSpec): Float32Array {
  const spec = resolveFormat(format, 'decode');
  const expected =
    spec.storageBits === 32 ? Uint32Array : spec.storageBits === 16 ? Uint16Array : Uint8Array;
  if (!(bits instanceof expected)) {
    throw wrongType(
      'decode',
      'bits',
      `a ${expected.name} for ${spec.name}`,
      describeValue(bits),
      `Pass what encode(values, '${spec.name}') returns.`,
    );
  }
  const out = new Float32Array(bits.length);
  const outBits = new Uint32Array(out.buffer);
  if (spec.storageBits === 32) {
    outBits.set(bits);
  } else if (spec.exponentBits === 8) {
    const shift = 23 - spec.mantissaBits;
    for (let i = 0; i < bits.length; i++) outBits[i] = bits[i]! << shift;
  } else {
    const table = decodeTable(spec);
    for (let i = 0; i < bits.length; i++) outBits[i] = table[bits[i]!]!;
  }
  return out;
}

/** float32 bits of every code of a narrow-exponent format (65536 or 256 entries), built once. */
function decodeTable(spec: FormatSpec): Uint32Array {
  let table = tables.get(spec.name);
  if (table != null) return table;
  const size = 2 ** spec.storageBits;
  const values = new Float32Array(size);
  table = new Uint32Array(values.buffer);
  const m = spec.mantissaBits;
  const mantissaMask = (1 << m) - 1;
  const exponentAllOnes = (1 << spec.exponentBits) - 1;
  for (let code = 0; code < size; code++) {
    const negative = code >>> (spec.storageBits - 1) === 1;
    const exponent = (code >>> m) & exponentAllOnes;
    const mantissa = code & mantissaMask;
    const sign = negative ? 0x80000000 : 0;
    if (exponent === exponentAllOnes && spec.nanEncoding === 'ieee') {
      // Inf, or NaN keeping its payload bits.
      table[code] = (sign | 0x7f800000 | (mantissa << (23 - m))) >>> 0;
    } else if (exponent === exponentAllOnes && mantissa === mantissaMask) {
      table[code] = (sign | 0x7fc00000) >>> 0; // the all-ones NaN
    } else {
      const magnitude =
        exponent === 0
          ? mantissa * 2 ** (1 - spec.bias - m)
          : (1 + mantissa / 2 ** m) * 2 ** (exponent - spec.bias);
      values[code] = negative ? -magnitude : magnitude;
    }
  }
  tables.set(spec.name, table);
  return table;
}
