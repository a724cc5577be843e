import {describe, expect, it} from 'vitest';
import {expectBitsEqual, f32Bits, f32FromBits} from './bits.js';

describe('expectBitsEqual', () => {
  it('accepts identical bit patterns, NaN included', () => {
    expectBitsEqual(new Float32Array([1, Number.NaN, -0]), [1, Number.NaN, -0]);
  });
  it('tells -0 from +0', () => {
    expect(() => expectBitsEqual([-0], [0])).toThrow(/1 of 1 differ bitwise/);
  });
  it('names the first differing index with hex bits', () => {
    expect(() => expectBitsEqual([1, 2], [1, 3])).toThrow(/\[1\] got 2 \(0x40000000\), want 3/);
  });
  it('round-trips bits', () => {
    expect(f32Bits(1)).toBe(0x3f800000);
    expect(f32FromBits(0xbf800000)).toBe(-1);
  });
});
