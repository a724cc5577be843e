import {expectBitsEqual, f32Bits} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {asFloat32, describeMismatches, roundingFixture} from '../../test/rounding-fixture.js';
import {FORMAT_NAMES} from '../formats/index.js';
import {roundArray} from './round-array.js';

describe('roundArray', () => {
  describe.each(FORMAT_NAMES)('to %s', (format) => {
    const fixture = roundingFixture(format);

    it(`matches the oracle (${fixture.oracle}) bit for bit, edge cases and random patterns`, () => {
      const out = roundArray(asFloat32(fixture.input), format);
      expect(describeMismatches(fixture, new Uint32Array(out.buffer), fixture.out)).toBe('');
    });

    it('matches the saturating expectation with saturate: true', () => {
      const out = roundArray(asFloat32(fixture.input), format, undefined, {saturate: true});
      expect(describeMismatches(fixture, new Uint32Array(out.buffer), fixture.saturated)).toBe('');
    });

    it('gives the same bits for every array length and offset (vector blocks and tails)', () => {
      // The loops handle blocks of four and a tail; rounding a sliding window must agree.
      const all = roundArray(asFloat32(fixture.input), format);
      for (let start = 0; start < 8; start++) {
        for (let length = 0; length < 11; length++) {
          const window = asFloat32(fixture.input).subarray(start, start + length);
          const got = roundArray(window, format);
          expectBitsEqual(got, all.subarray(start, start + length), `[${start}, +${length})`);
        }
      }
    });

    it('rounds in place when dst is src', () => {
      const values = Float32Array.from(asFloat32(fixture.input));
      const returned = roundArray(values, format, values);
      expect(returned).toBe(values);
      expect(describeMismatches(fixture, new Uint32Array(values.buffer), fixture.out)).toBe('');
    });

    it('is idempotent: rounded values are representable', () => {
      const once = roundArray(asFloat32(fixture.input), format);
      expectBitsEqual(roundArray(once, format), once);
    });
  });

  it('rounds the examples of its documentation', () => {
    // 1 + 2^−11 is halfway between 1 and 1 + 2^−10 (float16's epsilon): ties to even, 1.
    // 0.1 in float16: 1.1001100110b · 2^−4 = 1638 · 2^−14 = 0.0999755859375.
    expectBitsEqual(
      roundArray(new Float32Array([1 + 2 ** -11, 0.1]), 'float16'),
      [1, 0.0999755859375],
    );
    // −1e−30 underflows to −0 in float16 (sign kept); 1e−9 is below half of 2^−24.
    expectBitsEqual(roundArray(new Float32Array([-1e-30, 1e-9]), 'float16'), [-0, 0]);
  });

  it('writes into a given dst and returns it', () => {
    const dst = new Float32Array(2);
    expect(roundArray(new Float32Array([65520, -70000]), 'float16', dst)).toBe(dst);
    expect(Array.from(dst)).toEqual([Infinity, -Infinity]);
    roundArray(new Float32Array([65520, -70000]), 'float16', dst, {saturate: true});
    expect(Array.from(dst)).toEqual([65504, -65504]);
  });

  it('keeps NaN payload bits as documented', () => {
    // Signalling NaN 0x7fa00000 → quiet bit set, top 10 payload bits kept: 0x7fe00000.
    const src = new Float32Array(new Uint32Array([0x7fa00000, 0xff812345]).buffer);
    const out = new Uint32Array(roundArray(src, 'float16').buffer);
    expect(Array.from(out)).toEqual([0x7fe00000, 0xffc12000]);
    // float32 is the identity: the signalling NaN stays as it is.
    expect(Array.from(new Uint32Array(roundArray(src, 'float32').buffer))).toEqual([
      0x7fa00000, 0xff812345,
    ]);
  });

  it('rejects a src that is not a Float32Array, naming its type', () => {
    expect(() => roundArray([1, 2] as unknown as Float32Array, 'float16')).toThrow(
      new TypeError(
        'roundArray: src must be a Float32Array; got Array. Convert it first: Float32Array.from(values).',
      ),
    );
    expect(() => roundArray(new Float64Array(2) as unknown as Float32Array, 'float16')).toThrow(
      /src must be a Float32Array; got Float64Array/,
    );
  });

  it('rejects an unknown format, listing the allowed ones', () => {
    expect(() => roundArray(new Float32Array(1), 'fp16' as 'float16')).toThrow(
      new TypeError(
        "roundArray: unknown format 'fp16'. Allowed: bfloat16, float16, float32, float8_e4m3fn, float8_e5m2, tf32.",
      ),
    );
  });

  it('rejects a dst of another type or length, or partly overlapping src', () => {
    const src = new Float32Array(4);
    expect(() => roundArray(src, 'float16', new Uint32Array(4) as unknown as Float32Array)).toThrow(
      /dst must be a Float32Array; got Uint32Array/,
    );
    expect(() => roundArray(src, 'float16', new Float32Array(3))).toThrow(
      new RangeError('roundArray: dst must have the same length as src (4); got 3.'),
    );
    const buffer = new Float32Array(6);
    expect(() => roundArray(buffer.subarray(0, 4), 'float16', buffer.subarray(2, 6))).toThrow(
      /dst partly overlaps src/,
    );
  });

  it('rejects a non-boolean saturate', () => {
    expect(() =>
      roundArray(new Float32Array(1), 'float16', undefined, {saturate: 1 as unknown as boolean}),
    ).toThrow(new TypeError('roundArray: options.saturate must be a boolean; got 1.'));
  });

  it('leaves src untouched when writing elsewhere', () => {
    const src = new Float32Array([0.1, 1e-30]);
    roundArray(src, 'bfloat16');
    expect(f32Bits(src[0]!)).toBe(f32Bits(0.1));
  });
});
