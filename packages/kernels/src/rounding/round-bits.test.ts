import {describe, expect, it} from 'vitest';
import {asFloat32, describeMismatches, roundingFixture} from '../../test/rounding-fixture.js';
import {FORMAT_NAMES, getFormat} from '../formats/index.js';
import {INF_BITS, QUIET_NAN_BITS, roundFloat32, roundingPlan} from './round-bits.js';

describe('roundingPlan', () => {
  it('derives the float16 constants', () => {
    // drop = 23 − 10 = 13 bits; half a kept ulp minus one = 2^12 − 1; lo = bits of 2^−14 =
    // (127 − 14) << 23; hi = 65520 = 0x477ff000, the midpoint above 65504 (odd last bit, so
    // the tie rounds up to 65536 and overflows); minSubnormal 2^−24 → magic 2^(−24+23).
    const plan = roundingPlan(getFormat('float16'), false);
    expect(plan).toMatchObject({
      identity: false,
      drop: 13,
      half: 4095,
      keep: ~8191,
      lo: 113 << 23,
      hi: 0x477ff000,
      overflow: INF_BITS,
      payloadMask: 0x007fe000,
      quantumExponent: -24,
      magic: 0.5,
    });
    expect(roundingPlan(getFormat('float16'), true).overflow).toBe(0x477fe000); // 65504
  });

  it('lets the e4m3fn overflow tie round down to 448', () => {
    // 448 = 1.110b · 2^8 has an even last bit: 464 (the midpoint to 480) ties down to 448, so
    // overflow starts one float32 ulp above 464 (0x43e80000). Overflow is NaN, no payload.
    const plan = roundingPlan(getFormat('float8_e4m3fn'), false);
    expect(plan).toMatchObject({
      drop: 20,
      lo: (127 - 6) << 23,
      hi: 0x43e80001,
      overflow: QUIET_NAN_BITS,
      payloadMask: 0,
      quantumExponent: -9,
    });
  });

  it('needs no subnormal step for the 8-bit exponent formats', () => {
    // bfloat16: lo = 0; hi = midpoint above (2 − 2^−7) · 2^127 = 0x7f7f0000 + 2^15.
    expect(roundingPlan(getFormat('bfloat16'), false)).toMatchObject({lo: 0, hi: 0x7f7f8000});
    expect(roundingPlan(getFormat('tf32'), false)).toMatchObject({lo: 0, hi: 0x7f7ff000});
    expect(roundingPlan(getFormat('float32'), false).identity).toBe(true);
  });

  it('caches one frozen plan per format and saturate flag', () => {
    const plan = roundingPlan(getFormat('float16'), false);
    expect(roundingPlan(getFormat('float16'), false)).toBe(plan);
    expect(roundingPlan(getFormat('float16'), true)).not.toBe(plan);
    expect(Object.isFrozen(plan)).toBe(true);
  });
});

describe('roundFloat32', () => {
  it.each(FORMAT_NAMES)('rounds views at any byte offset to %s', (format) => {
    const fixture = roundingFixture(format);
    const n = fixture.input.length;
    // Source and destination at odd element offsets inside larger buffers.
    const src = new Float32Array(n + 3).subarray(3);
    src.set(asFloat32(fixture.input));
    const dst = new Float32Array(n + 5).subarray(1, n + 1);
    roundFloat32(src, dst, roundingPlan(getFormat(format), false));
    const got = new Uint32Array(dst.buffer, dst.byteOffset, n);
    expect(describeMismatches(fixture, got, fixture.out)).toBe('');
  });
});
