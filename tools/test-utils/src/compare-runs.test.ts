import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, expect, it, vi} from 'vitest';
import {
  compareRuns,
  compareSeries,
  formatRatio,
  machineLine,
  reportComparisons,
  timeStats,
} from './compare-runs.js';

describe('timeStats', () => {
  it('gives interpolated median, p10 and p90', () => {
    // Sorted 1..11: (n-1)·q = 1 at q = 0.1, 5 at 0.5, 9 at 0.9.
    const s = timeStats('x', [11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(s).toEqual({name: 'x', medianMs: 6, p10Ms: 2, p90Ms: 10, samples: 11});
  });
});

describe('compareSeries', () => {
  it('is candidate/baseline, lower is faster, with the target as an upper bound', () => {
    const faster = compareSeries({
      name: 'n',
      unit: 'step',
      backend: 'cpu',
      baseline: {name: 'b', ms: [10, 10, 10]},
      candidate: {name: 'c', ms: [8, 8, 8]},
      target: 0.9,
    });
    expect(faster.ratio).toBeCloseTo(0.8, 12);
    expect(faster.meetsTarget).toBe(true);
    const slower = compareSeries({
      name: 'n',
      unit: 'step',
      backend: 'cpu',
      baseline: {name: 'b', ms: [10, 10]},
      candidate: {name: 'c', ms: [12, 13, 14]},
      target: 1.05,
    });
    // Unequal lengths: ratio of medians, 13 / 10.
    expect(slower.ratio).toBeCloseTo(1.3, 12);
    expect(slower.meetsTarget).toBe(false);
    expect(formatRatio(slower)).toBe('1.300× (≤ 1.05×) MISSED');
    expect(formatRatio({...slower, target: null, meetsTarget: null})).toBe('1.300×');
  });
});

describe('compareRuns', () => {
  it('runs warm-up and alternating rounds of both sides', async () => {
    const calls: string[] = [];
    const result = await compareRuns({
      name: 'n',
      unit: 'call',
      backend: 'cpu',
      baseline: {name: 'b', run: () => calls.push('b')},
      candidate: {name: 'c', run: async () => calls.push('c')},
      warmup: 1,
      rounds: 2,
      target: null,
    });
    expect(calls).toEqual(['b', 'c', 'b', 'c', 'c', 'b']);
    expect(result.baseline.samples).toBe(2);
    expect(result.meetsTarget).toBeNull();
  });

  it('refuses a non-integer round count', async () => {
    await expect(
      compareRuns({
        name: 'n',
        unit: 'call',
        baseline: {name: 'b', run: () => 0},
        candidate: {name: 'c', run: () => 0},
        rounds: 0,
        target: null,
      }),
    ).rejects.toThrow(new RangeError('compareRuns: rounds must be an integer ≥ 1; got 0.'));
  });
});

describe('reportComparisons', () => {
  it('prints the machine line first and writes <subject>.json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'compare-runs-'));
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const row = compareSeries({
        name: 'n',
        unit: 'step',
        backend: 'cpu',
        baseline: {name: 'b', ms: [2]},
        candidate: {name: 'c', ms: [3]},
        target: 2,
      });
      const table = reportComparisons({subject: 's', title: 'T', rows: [row], resultsDir: dir});
      expect(table.split('\n')[0]).toMatch(/^CPU .* cores \| flags .* \| backend cpu \| \d{4}-/);
      expect(table).toContain('1.500× (≤ 2.00×) met');
      const json = JSON.parse(readFileSync(join(dir, 's.json'), 'utf8'));
      expect(json.rows[0].ratio).toBe(1.5);
      expect(machineLine('wasm')).toContain('backend wasm');
    } finally {
      log.mockRestore();
      rmSync(dir, {recursive: true});
    }
  });
});
