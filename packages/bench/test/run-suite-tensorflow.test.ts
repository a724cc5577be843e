// The suite on tfjs-node's `tensorflow` backend: skipped where the native binding is not built,
// mandatory in CI (TFJS_AMP_REQUIRE_NODE=1).
import {describeWithTfjsNode, expectNoLeaks} from '@tfjs-amp/test-utils';
import {expect, it} from 'vitest';
import {runSuite, setupBackend} from '../src/index.js';

describeWithTfjsNode('runSuite on tensorflow', () => {
  it('trains and measures every configuration on tfjs-node, leaking no tensor or native handle', async () => {
    await setupBackend('tensorflow');
    const report = await expectNoLeaks(() =>
      runSuite({
        backend: 'tensorflow',
        workloads: ['mlp'],
        epochs: 1,
        stepsPerEpoch: 3,
        batchSize: 16,
        trainSize: 64,
        testSize: 32,
        warmupSteps: 1,
        ablation: false,
      }),
    );
    expect(report.machine.backend).toBe('tensorflow');
    expect(report.runs.map((r) => r.variant)).toEqual([
      'float32',
      'mixed_float16',
      'mixed_bfloat16',
    ]);
    for (const r of report.runs) {
      expect(r.steps).toBe(3);
      expect(r.stepTime.medianMs).toBeGreaterThan(0);
      expect(Number.isFinite(r.finalTrainLoss)).toBe(true);
    }
  });
});
