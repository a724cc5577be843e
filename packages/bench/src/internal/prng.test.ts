import {describe, expect, it} from 'vitest';
import {createRng, deriveSeed, shuffledIndices} from './prng.js';

describe('createRng', () => {
  it('repeats the same stream for the same seed and differs across seeds', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const sa = Array.from({length: 5}, a);
    expect(Array.from({length: 5}, b)).toEqual(sa);
    expect(Array.from({length: 5}, c)).not.toEqual(sa);
  });

  it('stays in [0, 1) with a mean near 1/2', () => {
    const rng = createRng(7);
    let sum = 0;
    for (let i = 0; i < 10_000; i++) {
      const v = rng();
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
      sum += v;
    }
    // Standard error of the mean of 10,000 uniforms: 0.29 / 100 ≈ 0.003.
    expect(Math.abs(sum / 10_000 - 0.5)).toBeLessThan(0.015);
  });
});

describe('shuffledIndices', () => {
  it('is a permutation of 0..n-1, the same for the same seed', () => {
    const p = shuffledIndices(1000, 3);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({length: 1000}, (_, i) => i));
    expect(shuffledIndices(1000, 3)).toEqual(p);
    expect(shuffledIndices(1000, 4)).not.toEqual(p);
  });
});

describe('deriveSeed', () => {
  it('gives different seeds per stream and per base seed, deterministically', () => {
    const seeds = new Set([0, 1, 2, 3].flatMap((s) => [0, 1, 2].map((k) => deriveSeed(s, k))));
    expect(seeds.size).toBe(12);
    expect(deriveSeed(5, 1)).toBe(deriveSeed(5, 1));
  });
});
