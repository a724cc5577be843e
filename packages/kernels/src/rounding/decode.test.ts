import {expectBitsEqual} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {asFloat32, roundingFixture} from '../../test/rounding-fixture.js';
import {FORMAT_NAMES} from '../formats/index.js';
import {decode} from './decode.js';
import {encode} from './encode.js';
import {roundArray} from './round-array.js';

const NARROW = ['bfloat16', 'float16', 'float8_e4m3fn', 'float8_e5m2'] as const;

function allCodes(format: (typeof NARROW)[number]): Uint8Array | Uint16Array {
  const codes = format.endsWith('16') ? new Uint16Array(65536) : new Uint8Array(256);
  for (let i = 0; i < codes.length; i++) codes[i] = i;
  return codes;
}

describe('decode', () => {
  describe.each(NARROW)('from %s', (format) => {
    it("turns the oracle's codes into the oracle's values", () => {
      const fixture = roundingFixture(format);
      expectBitsEqual(decode(fixture.code!, format), asFloat32(fixture.out));
    });

    it('undoes encode for every code of the format (NaN codes quieted as documented)', () => {
      const codes = allCodes(format);
      const values = decode(codes, format);
      // Every decoded value is representable: rounding it changes nothing but NaN quieting.
      const rounded = roundArray(values, format);
      const again = encode(values, format);
      const bits = new Uint32Array(values.buffer);
      const roundedBits = new Uint32Array(rounded.buffer);
      const drop =
        format === 'float16' ? 13 : format === 'bfloat16' ? 16 : format === 'float8_e5m2' ? 21 : 20;
      let checked = 0;
      const bad: string[] = [];
      const fail = (code: number, what: string) => {
        if (bad.length < 5) bad.push(`code 0x${code.toString(16)}: ${what}`);
      };
      for (let code = 0; code < codes.length; code++) {
        const isNan = (bits[code]! & 0x7fffffff) > 0x7f800000;
        if (isNan) {
          // A NaN code decodes to a NaN with its sign and payload; encode sets the quiet bit
          // (e4m3fn: 0x7f and 0xff are the only NaNs, already "quiet").
          const quieted = format === 'float8_e4m3fn' ? code : code | (1 << (22 - drop));
          if ((roundedBits[code]! & 0x7fffffff) <= 0x7f800000) fail(code, 'rounds to a non-NaN');
          if (again[code] !== quieted) fail(code, `re-encodes to 0x${again[code]!.toString(16)}`);
        } else {
          if (roundedBits[code] !== bits[code]) fail(code, 'is changed by rounding');
          if (again[code] !== code) fail(code, `re-encodes to 0x${again[code]!.toString(16)}`);
          checked++;
        }
      }
      expect(bad).toEqual([]);
      // Non-NaN codes: all but the NaNs (float16: 2 × 1023 NaN codes; e4m3fn: 2).
      const nanCodes = {bfloat16: 2 * 127, float16: 2 * 1023, float8_e4m3fn: 2, float8_e5m2: 2 * 3};
      expect(checked).toBe(codes.length - nanCodes[format]);
    });
  });

  it('decodes known codes, derived by hand', () => {
    // float16 0x3555 = 0 01101 0101010101: (1 + 341/1024) · 2^−2 = 0.333251953125.
    // 0x0001 = 2^−24 (subnormal), 0x7c00 = +Inf, 0xfc00 = −Inf, 0x8000 = −0.
    expectBitsEqual(decode(new Uint16Array([0x3555, 0x0001, 0x7c00, 0xfc00, 0x8000]), 'float16'), [
      0.333251953125,
      2 ** -24,
      Infinity,
      -Infinity,
      -0,
    ]);
    // e4m3fn 0x7e = 448, 0x01 = 2^−9, 0x08 = 2^−6 (min normal); e5m2 0x7b = 57344, 0x7c = Inf.
    expectBitsEqual(decode(new Uint8Array([0x7e, 0x01, 0x08]), 'float8_e4m3fn'), [
      448,
      2 ** -9,
      2 ** -6,
    ]);
    expectBitsEqual(decode(new Uint8Array([0x7b, 0x7c]), 'float8_e5m2'), [57344, Infinity]);
    // bfloat16 0x3f80 = 1, 0x7f7f = (2 − 2^−7) · 2^127.
    expectBitsEqual(decode(new Uint16Array([0x3f80, 0x7f7f]), 'bfloat16'), [
      1,
      (2 - 2 ** -7) * 2 ** 127,
    ]);
  });

  it('keeps NaN codes as NaN with their sign and payload', () => {
    const bits = new Uint32Array(decode(new Uint16Array([0x7c01, 0xfe00]), 'float16').buffer);
    expect(Array.from(bits)).toEqual([0x7f802000, 0xffc00000]);
    const e4 = new Uint32Array(decode(new Uint8Array([0x7f, 0xff]), 'float8_e4m3fn').buffer);
    expect(Array.from(e4)).toEqual([0x7fc00000, 0xffc00000]);
  });

  it('passes float32 and tf32 bits through', () => {
    const bits = new Uint32Array([0x3f800000, 0x7fa00001]);
    for (const format of ['float32', 'tf32'] as const) {
      expect(Array.from(new Uint32Array(decode(bits, format).buffer))).toEqual(Array.from(bits));
    }
  });

  it('rejects an array of the wrong storage type, naming both', () => {
    expect(() => decode(new Uint8Array(2), 'float16')).toThrow(
      new TypeError(
        "decode: bits must be a Uint16Array for float16; got Uint8Array. Pass what encode(values, 'float16') returns.",
      ),
    );
    expect(() => decode([1] as unknown as Uint8Array, 'float8_e5m2')).toThrow(
      /bits must be a Uint8Array for float8_e5m2; got Array/,
    );
    expect(() => decode(new Uint8Array(1), 'bf16' as 'bfloat16')).toThrow(
      `decode: unknown format 'bf16'. Allowed: ${FORMAT_NAMES.join(', ')}.`,
    );
  });
});
