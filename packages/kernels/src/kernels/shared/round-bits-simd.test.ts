import {describe, expect, it} from 'vitest';
import {describeMismatches, roundingFixture} from '../../../test/rounding-fixture.js';
import {FORMAT_NAMES, getFormat} from '../../formats/index.js';
import {isSimdSupported, simdModuleBytes, simdRounderFor} from './round-bits-simd.js';
import {roundingPlan} from '../../rounding/round-bits.js';

const FORMATS = FORMAT_NAMES.filter((name) => name !== 'float32');

describe('simdRounderFor', () => {
  it('assembles a valid WebAssembly SIMD module (Node 20+ runs SIMD)', () => {
    expect(WebAssembly.validate(simdModuleBytes())).toBe(true);
    expect(isSimdSupported()).toBe(true);
  });

  it('reuses one instance per memory', () => {
    const memory = new WebAssembly.Memory({initial: 1});
    expect(simdRounderFor(memory)).toBe(simdRounderFor(memory));
  });

  describe.each(FORMATS)('to %s', (format) => {
    const fixture = roundingFixture(format);
    const n = fixture.input.length;
    const memory = new WebAssembly.Memory({initial: Math.ceil((n * 8 + 64) / 65536)});
    const round = simdRounderFor(memory)!;

    function run(saturate: boolean, srcOffset: number, dstOffset: number, length: number) {
      new Uint32Array(memory.buffer, srcOffset, length).set(fixture.input.subarray(0, length));
      round(srcOffset, dstOffset, length, roundingPlan(getFormat(format), saturate));
      return new Uint32Array(memory.buffer, dstOffset, length).slice();
    }

    it('matches the oracle bit for bit, and the saturating expectation', () => {
      expect(describeMismatches(fixture, run(false, 0, n * 4 + 16, n), fixture.out)).toBe('');
      expect(describeMismatches(fixture, run(true, 0, n * 4 + 16, n), fixture.saturated)).toBe('');
    });

    it('rounds in place and handles every tail length at unaligned offsets', () => {
      expect(describeMismatches(fixture, run(false, 4, 4, n), fixture.out)).toBe('');
      for (let length = 0; length < 10; length++) {
        const got = run(false, 12, 4 * n + 20, length);
        expect(Array.from(got)).toEqual(Array.from(fixture.out.subarray(0, length)));
      }
    });

    it('writes nothing past the end of the output', () => {
      const guard = new Uint32Array(memory.buffer, 400, 8);
      guard.fill(0xdeadbeef);
      new Uint32Array(memory.buffer, 0, 7).set(fixture.input.subarray(0, 7));
      round(0, 400, 7, roundingPlan(getFormat(format), false));
      expect(guard[7]).toBe(0xdeadbeef);
    });
  });
});
