import {describe, expect, it} from 'vitest';
import {quantile, samplesPerSecond, summarizeStepTimes} from './step-time.js';

describe('quantile', () => {
  it('interpolates between ranks', () => {
    // sorted [1, 2, 3, 4]: position (4 - 1) * q.
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 0)).toBe(1);
    expect(quantile([1, 2, 3, 4], 1)).toBe(4);
    expect(quantile([1, 2, 3, 4], 0.25)).toBe(1.75);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe('summarizeStepTimes', () => {
  it('leaves out the warm-up steps and summarizes the rest', () => {
    // Warm-up 2 drops 100 and 50; kept sorted: [8, 9, 10, 11, 12].
    const s = summarizeStepTimes([100, 50, 10, 12, 8, 11, 9], 2);
    expect(s.count).toBe(5);
    expect(s.medianMs).toBe(10);
    expect(s.minMs).toBe(8);
    expect(s.maxMs).toBe(12);
    expect(s.meanMs).toBe(10);
    // p10 at position 0.4: 8 + 0.4; p90 at 3.6: 11 + 0.6. IQR: 11 - 9 = 2, over 10.
    expect(s.p10Ms).toBeCloseTo(8.4, 12);
    expect(s.p90Ms).toBeCloseTo(11.6, 12);
    expect(s.relativeIqr).toBeCloseTo(0.2, 12);
  });

  it('is all NaN when nothing is left after warm-up', () => {
    const s = summarizeStepTimes([5, 6], 2);
    expect(s.count).toBe(0);
    expect(s.medianMs).toBeNaN();
    expect(s.minMs).toBeNaN();
  });
});

describe('samplesPerSecond', () => {
  it('divides the batch by the median step', () => {
    expect(samplesPerSecond(summarizeStepTimes([20, 20, 20], 0), 64)).toBe(3200);
  });
});
