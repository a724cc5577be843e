// Regression test for issue #13 defect 4: parity used to PASS on runs where float32 itself did
// not train (a model file with all-NaN weights, a model with no softmax).
import * as tf from '@tensorflow/tfjs';
import {mkdtempSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {modelDirectoryHandler} from '@tfjs-amp/policy/node';
import {expectNoLeaks} from '@tfjs-amp/test-utils';
import {beforeAll, describe, expect, it} from 'vitest';
import {formatTable, mlpWorkload, runSuite, setupBackend, type Workload} from '../src/index.js';

let dir: string;

beforeAll(async () => {
  await setupBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'bench-untrained-'));
  const noSoftmax = tf.sequential();
  noSoftmax.add(tf.layers.dense({units: 16, activation: 'relu', inputShape: [784]}));
  noSoftmax.add(tf.layers.dense({units: 10}));
  await noSoftmax.save(modelDirectoryHandler(join(dir, 'no-softmax')));
  noSoftmax.dispose();
});

/**
 * An MLP whose weights are all NaN (model files with NaN weights are refused at load now, so it
 * comes as a workload object, as a user module would give it).
 */
const nanWorkload: Workload = {
  ...mlpWorkload,
  name: 'nan-weights',
  buildModel: async (seed) => {
    const model = await mlpWorkload.buildModel(seed);
    const nan = model.getWeights().map((w) => tf.fill(w.shape, Number.NaN));
    model.setWeights(nan);
    tf.dispose(nan);
    return model;
  },
};

const SMALL = {
  epochs: 1,
  stepsPerEpoch: 12,
  batchSize: 32,
  trainSize: 384,
  testSize: 200,
  warmupSteps: 1,
  ablation: false,
  policies: ['mixed_bfloat16'],
} as const;

describe('parity requires that float32 itself trained', () => {
  for (const name of ['nan-weights', 'no-softmax']) {
    it(`says NOT JUDGED for a ${name} model instead of PASS`, async () => {
      const workload = name === 'nan-weights' ? nanWorkload : join(dir, name, 'model.json');
      const report = await expectNoLeaks(() => runSuite({...SMALL, workloads: [workload]}));
      expect(report.parity).toHaveLength(1);
      const check = report.parity[0]!;
      expect(check.baselineLearned).toBe(false);
      expect(check.baselineProblem).toMatch(
        /is not well above chance \(\d+\.\d\d%; needs \d+\.\d\d%\)/,
      );
      const text = formatTable(report);
      expect(text).not.toContain('Parity: PASS');
      expect(text).toContain(
        `Parity: NOT JUDGED for ${name}: float32 itself did not train (${name}: `,
      );
      expect(report.notes[0]).toMatch(/^Accuracy parity NOT JUDGED: float32 itself did not train/);
      expect(report.workloads[0]!.chanceAccuracy).toBeGreaterThanOrEqual(0.1);
    });
  }

  it('still judges parity where float32 trained', async () => {
    const report = await runSuite({...SMALL, workloads: ['mlp'], stepsPerEpoch: 12});
    expect(report.parity[0]!.baselineLearned).toBe(true);
    expect(report.parity[0]!.baselineProblem).toBeNull();
    expect(formatTable(report)).toMatch(/Parity: (PASS|FAIL)/);
  });
});
