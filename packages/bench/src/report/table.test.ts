import {describe, expect, it} from 'vitest';
import {fakeReport, fakeRun} from '../../test/support.js';
import {formatMarkdown, formatTable, megabytes, runGroups} from './table.js';

const report = fakeReport(
  [
    fakeRun({policy: 'float32', medianMs: 10}),
    fakeRun({policy: 'mixed_float16', medianMs: 12, testAccuracy: 0.947}),
    fakeRun({workload: 'cnn', policy: 'float32', medianMs: 50}),
    fakeRun({scenario: 'small-gradients', policy: 'float32'}),
  ],
  {
    parity: [
      {
        workload: 'mlp',
        scenario: 'default',
        variant: 'mixed_float16',
        accuracyDeltaPp: -0.3,
        withinTolerance: true,
        tolerancePp: 0.5,
        baselineLearned: true,
        baselineProblem: null,
      },
    ],
  },
);

describe('runGroups', () => {
  it('groups by workload and scenario in run order', () => {
    expect(runGroups(report).map((g) => [g.workload, g.scenario, g.runs.length])).toEqual([
      ['mlp', 'default', 2],
      ['cnn', 'default', 1],
      ['mlp', 'small-gradients', 1],
    ]);
  });
});

describe('formatTable', () => {
  it('prints one aligned row per run with its measurements', () => {
    const text = formatTable(report);
    const lines = text.split('\n');
    const header = lines.find((l) => l.includes('step ms (p10–p90)'))!;
    const row = lines.find((l) => l.trimStart().startsWith('mixed_float16'))!;
    expect(row).toContain('12.0 (10.8–14.4)');
    expect(row).toContain('1.20×');
    expect(row).toContain('94.70%');
    expect(row).toContain('−0.30 pp');
    expect(row).toContain('98.00%');
    expect(row).toContain('emulated');
    // Columns line up: the "test acc" header ends where the row's accuracy ends.
    expect(row.indexOf('94.70%') + '94.70%'.length).toBe(
      header.indexOf('test acc') + 'test acc'.length,
    );
    expect(text).toContain('Parity: PASS');
    expect(text).toContain('Test CPU [avx2 f16c], 2 cores');
    expect(text).toContain('mlp — ablation: small gradients (loss × 2^-20)');
  });
});

describe('formatMarkdown', () => {
  it('writes a GitHub table per group with the machine and the command', () => {
    const md = formatMarkdown(report, 'tfjs-amp-bench --suite full');
    expect(md).toMatch(/^Measured on Test CPU .*Reproduce: `tfjs-amp-bench --suite full`\./);
    expect(md).toContain('| policy | loss scaling | step ms (p10–p90) | time vs fp32 |');
    expect(md).toContain('| mixed_float16 | dynamic | 12.0 (10.8–14.4) | 1.20× |');
    expect(md.match(/^\| --- \| --- \| ---: /gm)).toHaveLength(3);
  });
});

describe('megabytes', () => {
  it('keeps two decimals below 10 MB', () => {
    expect(megabytes(7_875_824)).toBe('7.88 MB');
    expect(megabytes(312_000_000)).toBe('312 MB');
  });
});
