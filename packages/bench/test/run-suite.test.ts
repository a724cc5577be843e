import * as tf from '@tensorflow/tfjs';
import {readFileSync, mkdtempSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {expectNoLeaks} from '@tfjs-amp/test-utils';
import {beforeAll, describe, expect, it} from 'vitest';
import {
  formatMarkdown,
  formatTable,
  type ProgressEvent,
  type RunReport,
  runSuite,
  type SuiteReport,
  writeHtmlReport,
  writeJsonReport,
} from '../src/index.js';

const OPTIONS = {
  workloads: ['mlp'],
  epochs: 2,
  stepsPerEpoch: 4,
  batchSize: 16,
  trainSize: 256,
  testSize: 128,
  warmupSteps: 1,
  chunkSteps: 3,
  seed: 1,
} as const;

let report: SuiteReport;
const events: ProgressEvent[] = [];

beforeAll(async () => {
  report = await expectNoLeaks(() => runSuite(OPTIONS, {onProgress: (e) => events.push(e)}));
});

function run(scenario: string, variant: string): RunReport {
  const r = report.runs.find((x) => x.scenario === scenario && x.variant === variant);
  if (r == null) throw new Error(`no run ${scenario}/${variant}`);
  return r;
}

describe('runSuite on tiny settings', () => {
  it('runs every policy, the no-loss-scaling ablation and the small-gradient scenario', () => {
    expect(report.runs.map((r) => `${r.scenario}/${r.variant}`)).toEqual([
      'default/float32',
      'default/mixed_float16',
      'default/mixed_bfloat16',
      'default/mixed_float16:no-loss-scaling',
      'small-gradients/float32',
      'small-gradients/mixed_float16',
      'small-gradients/mixed_float16:no-loss-scaling',
    ]);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('measures every field of every run', () => {
    for (const r of report.runs) {
      const what = `${r.scenario}/${r.variant}`;
      expect(r.steps, what).toBe(8);
      expect(r.stepTime.count, what).toBe(7);
      expect(r.stepTime.medianMs, what).toBeGreaterThan(0);
      expect(r.stepTime.p10Ms, what).toBeLessThanOrEqual(r.stepTime.medianMs);
      expect(r.stepTime.p90Ms, what).toBeGreaterThanOrEqual(r.stepTime.medianMs);
      expect(r.samplesPerSec, what).toBeCloseTo((16 * 1000) / r.stepTime.medianMs, 6);
      expect(r.memory.stateBytes, what).toBeGreaterThan(0);
      expect(r.memory.stepPeakBytes, what).toBeGreaterThan(0);
      expect(r.memory.peakBytes, what).toBe(r.memory.stateBytes + r.memory.stepPeakBytes);
      expect(r.memory.rssPeakBytes, what).toBeGreaterThan(10e6);
      expect(r.testAccuracy, what).toBeGreaterThanOrEqual(0);
      expect(r.testAccuracy, what).toBeLessThanOrEqual(1);
      expect(Number.isFinite(r.testLoss), what).toBe(true);
      expect(r.curves.loss, what).toHaveLength(8);
      expect(r.curves.epochLoss, what).toHaveLength(2);
      expect(r.finalTrainLoss, what).toBeCloseTo(
        r.curves.loss.slice(4).reduce((a, b) => a + b) / 4,
        6,
      );
      const isBaseline = r.policy === 'float32';
      expect(r.stepTimeRatio == null, what).toBe(isBaseline);
      expect(r.accuracyDeltaPp == null, what).toBe(isBaseline);
      expect(r.agreementWithFloat32 == null, what).toBe(isBaseline);
      expect(r.execution.mode, what).toBe(isBaseline ? 'float32' : 'emulated');
      expect(r.memory.castKernelsPerStep > 0, what).toBe(!isBaseline);
      if (r.lossScaling === 'dynamic') {
        expect(r.lossScale?.initial, what).toBe(2 ** 15);
        expect(r.curves.lossScale, what).toHaveLength(8);
        expect(r.lossScale?.skippedSteps, what).toBe(r.curves.skippedAt.length);
      } else {
        expect(r.lossScale, what).toBeNull();
        expect(r.curves.lossScale, what).toHaveLength(0);
      }
    }
  });

  it('gives float32 the same training under the small-gradient loss, bit for bit', () => {
    // The loss is multiplied by 2^-20 and Adam's epsilon with it: exact in float32.
    expect(run('small-gradients', 'float32').curves.loss).toEqual(
      run('default', 'float32').curves.loss,
    );
    expect(run('small-gradients', 'float32').testAccuracy).toBe(
      run('default', 'float32').testAccuracy,
    );
  });

  it('computes the ratios and deltas against float32 of the same scenario', () => {
    const base = run('default', 'float32');
    const mixed = run('default', 'mixed_bfloat16');
    expect(mixed.stepTimeRatio).toBeCloseTo(mixed.stepTime.medianMs / base.stepTime.medianMs, 12);
    expect(mixed.accuracyDeltaPp).toBeCloseTo((mixed.testAccuracy - base.testAccuracy) * 100, 12);
  });

  it('reports progress for every step of every configuration', () => {
    const steps = events.filter((e) => e.kind === 'step');
    expect(steps).toHaveLength(7 * 8);
    expect(events.filter((e) => e.kind === 'run-done')).toHaveLength(7);
  });

  it('describes the machine and the workload', () => {
    expect(report.machine.backend).toBe('wasm');
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.machine.loadAverage).toHaveLength(3);
    expect(report.cpuMs).toBeGreaterThan(0);
    expect(report.durationMs).toBeGreaterThan(0);
    expect(report.workloads).toEqual([
      expect.objectContaining({
        name: 'mlp',
        parameters: 109_386,
        trainExamples: 256,
        stepsPerEpoch: 4,
      }),
    ]);
    expect(report.parity.map((p) => p.variant)).toEqual(['mixed_float16', 'mixed_bfloat16']);
  });

  it('writes report.json with every field and a report.html embedding it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
    const parsed = JSON.parse(readFileSync(writeJsonReport(report, dir), 'utf8')) as SuiteReport;
    expect(Object.keys(parsed).sort()).toEqual(Object.keys(report).sort());
    for (const [i, r] of parsed.runs.entries()) {
      expect(Object.keys(r).sort()).toEqual(Object.keys(report.runs[i]!).sort());
      expect(Object.keys(r.memory).sort()).toEqual(Object.keys(report.runs[i]!.memory).sort());
    }
    const html = readFileSync(writeHtmlReport(report, dir), 'utf8');
    expect(html).toContain('<script type="application/json" id="report-data">');
    // Self-contained: nothing fetched (the SVG namespace URI is an identifier, not a fetch).
    const withoutNamespace = html.replaceAll('http://www.w3.org/2000/svg', '');
    expect(withoutNamespace).not.toMatch(/<script[^>]+src=|<link[^>]+href=|<img|url\(|https?:\/\//);
  });

  it('prints a table naming every configuration', () => {
    const text = formatTable(report);
    for (const label of [
      'float32',
      'mixed_float16',
      'mixed_bfloat16',
      'ablation: small gradients (loss × 2^-20)',
    ]) {
      expect(text).toContain(label);
    }
    expect(formatMarkdown(report)).toMatch(/\| policy \| loss scaling \| step ms/);
  });
});
