import {describe, expect, it} from 'vitest';
import {asFloat32, roundingFixture} from '../../test/rounding-fixture.js';
import {FORMAT_NAMES} from '../formats/index.js';
import {encode} from './encode.js';

const NARROW = ['bfloat16', 'float16', 'float8_e4m3fn', 'float8_e5m2'] as const;

describe('encode', () => {
  describe.each(NARROW)('to %s', (format) => {
    const fixture = roundingFixture(format);

    it(`gives the oracle's codes (${fixture.oracle}) for every fixture input`, () => {
      const codes = encode(asFloat32(fixture.input), format);
      expect(codes).toBeInstanceOf(format.endsWith('16') ? Uint16Array : Uint8Array);
      const bad: string[] = [];
      for (let i = 0; i < codes.length && bad.length < 5; i++) {
        if (codes[i] !== fixture.code![i]) {
          bad.push(
            `${fixture.labels[i]}: got 0x${codes[i]!.toString(16)}, want 0x${fixture.code![i]!.toString(16)}`,
          );
        }
      }
      expect(bad).toEqual([]);
    });
  });

  it('returns float32 bits for float32 and tf32', () => {
    for (const format of ['float32', 'tf32'] as const) {
      const fixture = roundingFixture(format);
      const codes = encode(asFloat32(fixture.input), format);
      expect(codes).toBeInstanceOf(Uint32Array);
      expect(Array.from(codes)).toEqual(Array.from(fixture.out));
    }
  });

  it('encodes the documented examples', () => {
    // float16: 1 = 0 01111 0000000000 = 0x3c00; −2 = 1 10000 0… = 0xc000; 65504 = 0x7bff.
    expect(Array.from(encode(new Float32Array([1, -2, 65504]), 'float16'))).toEqual([
      0x3c00, 0xc000, 0x7bff,
    ]);
    // e4m3fn: 448 = 0 1111 110 = 0x7e; 480 overflows to NaN 0x7f, or saturates to 0x7e.
    expect(Array.from(encode(new Float32Array([448, 480, -480]), 'float8_e4m3fn'))).toEqual([
      0x7e, 0x7f, 0xff,
    ]);
    expect(
      Array.from(encode(new Float32Array([480, -Infinity]), 'float8_e4m3fn', {saturate: true})),
    ).toEqual([0x7e, 0xfe]);
    // Smallest subnormals: float16 2^−24 = 0x0001, e5m2 2^−16 = 0x01, bfloat16 2^−133 = 0x0001.
    expect(Array.from(encode(new Float32Array([2 ** -24]), 'float16'))).toEqual([1]);
    expect(Array.from(encode(new Float32Array([2 ** -16]), 'float8_e5m2'))).toEqual([1]);
    expect(Array.from(encode(new Float32Array([2 ** -133]), 'bfloat16'))).toEqual([1]);
  });

  it('rejects bad arguments with the same messages as roundArray', () => {
    expect(() => encode(new Int32Array(1) as unknown as Float32Array, 'float16')).toThrow(
      new TypeError(
        'encode: src must be a Float32Array; got Int32Array. Convert it first: Float32Array.from(values).',
      ),
    );
    expect(() => encode(new Float32Array(1), 'e4m3' as 'float16')).toThrow(
      `encode: unknown format 'e4m3'. Allowed: ${FORMAT_NAMES.join(', ')}.`,
    );
  });
});
