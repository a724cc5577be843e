import {describe, expect, it} from 'vitest';
import type {FormatName} from '../formats/format-spec.js';
import {roundArray} from '../rounding/round-array.js';
import {
  classifyAccumulation,
  float32AccumulationResult,
  probeVector,
} from './accumulation-probe.js';

/** Rounds one number to `format` (round to nearest even), as a 16-bit adder does. */
const round = (v: number, format: FormatName) => roundArray(new Float32Array([v]), format)[0]!;

/** Sums v in blocks of `block`: float32 inside a block, the running total rounded to `format`. */
function blockedSum(v: Float32Array, format: FormatName | null, block: number): number {
  let total = 0;
  for (let start = 0; start < v.length; start += block) {
    let partial = 0;
    for (let i = start; i < Math.min(v.length, start + block); i++) {
      partial = Math.fround(partial + v[i]!);
    }
    total = Math.fround(total + partial);
    if (format != null) total = round(total, format);
  }
  return total;
}

describe.each(['float16', 'bfloat16'] as const)('the %s accumulation probe', (format) => {
  for (const taps of [false, true]) {
    const v = probeVector(format, taps);
    const label = taps ? `${v.length} taps` : `${v.length} terms`;

    it(`holds values the format represents, summing to one it represents (${label})`, () => {
      expect(Array.from(roundArray(v, format))).toEqual(Array.from(v));
      const exact = float32AccumulationResult(format, taps);
      expect(round(exact, format)).toBe(exact);
      let sum = 0;
      for (const x of v) sum += x;
      expect(sum).toBe(exact);
    });

    it(`accepts float32 sums in any order and blocking (${label})`, () => {
      for (const block of [1, 7, 64, 256, v.length]) {
        expect(classifyAccumulation([blockedSum(v, null, block)], format, taps)).toBe('float32');
      }
      const reversed = Float32Array.from(v).reverse();
      expect(classifyAccumulation([blockedSum(reversed, null, 16)], format, taps)).toBe('float32');
    });

    it(`rejects sums rounded to ${format}, term by term or block by block (${label})`, () => {
      for (const block of [1, 8, 32, 256]) {
        if (block >= v.length) continue;
        const got = blockedSum(v, format, block);
        expect(classifyAccumulation([got], format, taps), `block ${block}: ${got}`).toBe('format');
      }
    });
  }

  it('rejects a result when any one checked output is off', () => {
    const exact = float32AccumulationResult(format);
    expect(classifyAccumulation([exact, exact, exact], format)).toBe('float32');
    expect(classifyAccumulation([exact, exact + 1, exact], format)).toBe('format');
  });
});
