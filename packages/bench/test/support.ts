import type {PolicyName} from '@tfjs-amp/policy';
import {DEFAULT_SUITE_OPTIONS} from '../src/options.js';
import type {RunReport, ScenarioName, SuiteReport} from '../src/suite-report.js';
import type {LossScaling} from '../src/variants.js';

/** Fields a fake run may set; everything else gets plausible values. */
export interface FakeRun {
  workload?: string;
  scenario?: ScenarioName;
  policy?: PolicyName;
  lossScaling?: LossScaling;
  testAccuracy?: number;
  medianMs?: number;
  steps?: number;
  diverged?: boolean;
  /** A flat loss curve (a run that did not train) instead of a decreasing one. */
  flatLoss?: boolean;
}

/** A RunReport with a decreasing loss curve of `steps` points (NaN from the middle when diverged). */
export function fakeRun(f: FakeRun): RunReport {
  const policy = f.policy ?? 'float32';
  const lossScaling = f.lossScaling ?? (policy === 'mixed_float16' ? 'dynamic' : 'none');
  const steps = f.steps ?? 40;
  const medianMs = f.medianMs ?? 10;
  const loss = Array.from({length: steps}, (_, i) =>
    f.diverged && i >= steps / 2 ? Number.NaN : f.flatLoss ? 2.3 : 2.3 * Math.exp(-i / 15) + 0.05,
  );
  const lossScale =
    lossScaling === 'dynamic'
      ? Array.from({length: steps}, (_, i) => (i < 3 ? 2 ** (15 - i) : 2 ** 12))
      : [];
  const isDefault = lossScaling === (policy === 'mixed_float16' ? 'dynamic' : 'none');
  return {
    workload: f.workload ?? 'mlp',
    scenario: f.scenario ?? 'default',
    variant: isDefault ? policy : `${policy}:no-loss-scaling`,
    label: isDefault ? policy : `${policy} (no loss scaling)`,
    policy,
    lossScaling,
    lossMultiplier: f.scenario === 'small-gradients' ? 2 ** -20 : 1,
    steps,
    stepTime: {
      count: steps - 2,
      medianMs,
      p10Ms: medianMs * 0.9,
      p90Ms: medianMs * 1.2,
      relativeIqr: 0.1,
      meanMs: medianMs * 1.05,
      minMs: medianMs * 0.8,
      maxMs: medianMs * 1.5,
    },
    samplesPerSec: (64 * 1000) / medianMs,
    stepTimeRatio: policy === 'float32' ? null : medianMs / 10,
    memory: {
      stateBytes: 1_312_640,
      stepPeakBytes: 6_563_184,
      peakBytes: 7_875_824,
      rssPeakBytes: 300_000_000,
      castKernelsPerStep: policy === 'float32' ? 0 : 17,
      kernelsPerStep: 200,
    },
    finalTrainLoss: f.diverged ? Number.NaN : f.flatLoss ? 2.31 : 0.12,
    testLoss: 0.2,
    testAccuracy: f.testAccuracy ?? 0.95,
    accuracyDeltaPp: policy === 'float32' ? null : ((f.testAccuracy ?? 0.95) - 0.95) * 100,
    agreementWithFloat32: policy === 'float32' ? null : 0.98,
    diverged: f.diverged ?? false,
    lossScale:
      lossScaling === 'dynamic' ? {initial: 2 ** 15, final: 2 ** 12, skippedSteps: 3} : null,
    execution:
      policy === 'float32'
        ? {mode: 'float32', layers: {none: 3}}
        : {mode: 'emulated', layers: {emulated: 3}},
    curves: {
      loss,
      lossScale,
      skippedAt: lossScaling === 'dynamic' ? [0, 1, 2] : [],
      epochLoss: [1, 0.5],
    },
  };
}

/** A SuiteReport holding `runs`, with the given parity checks and notes. */
export function fakeReport(runs: RunReport[], extra: Partial<SuiteReport> = {}): SuiteReport {
  const workloads = [...new Set(runs.map((r) => r.workload))];
  return {
    tool: '@tfjs-amp/bench',
    schemaVersion: 1,
    createdAt: '2025-01-01T00:00:00.000Z',
    durationMs: 12_345,
    cpuMs: 11_000,
    machine: {
      cpu: 'Test CPU',
      cores: 2,
      memoryBytes: 24 * 2 ** 30,
      cpuFlags: ['avx2', 'f16c'],
      platform: 'linux x64',
      node: 'v20.20.0',
      tfjs: '4.22.0',
      backend: 'wasm',
      backendFlags: {simd: true, threads: false},
      loadAverage: [1.5, 1.2, 1],
    },
    options: {...DEFAULT_SUITE_OPTIONS, workloads},
    workloads: workloads.map((name) => ({
      name,
      description: `${name} model`,
      dataDescription: 'MNIST',
      parameters: 1234,
      trainExamples: 8000,
      testExamples: 2000,
      stepsPerEpoch: 125,
      batchSize: 64,
      chanceAccuracy: 0.1,
    })),
    runs,
    parity: [],
    notes: ['A note.'],
    ...extra,
  };
}
