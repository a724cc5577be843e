// The suite on tfjs-node's `tensorflow` backend: skipped where the native binding is not built,
// mandatory in CI (TFJS_AMP_REQUIRE_NODE=1).
import {describeWithTfjsNode, expectNoLeaks} from '@tfjs-amp/test-utils';
import {expect, it} from 'vitest';
import {formatTable, runSuite, setupBackend} from '../src/index.js';

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
      // Native 16-bit bytes tf.memory() cannot see (0 where a configuration runs no native kernel).
      expect(r.memory.nativeBytes, r.variant).toBeGreaterThanOrEqual(0);
    }
    // The CPU flags and 16-bit units that explain the ratios, on this backend.
    const units = report.machine.halfPrecisionUnits!;
    expect(typeof units.bf16).toBe('boolean');
    const text = formatTable(report);
    if (report.machine.cpuFlags.length > 0) {
      expect(text).toMatch(/CPU flags: has .* · 16-bit units: bf16 (yes|no) .*, fp16 (yes|no)/);
    }
    const bf16 = report.runs.find((r) => r.policy === 'mixed_bfloat16')!;
    expect(text.includes(`${bf16.stepTimeRatio!.toFixed(2)}× (no bf16 units)`)).toBe(!units.bf16);
    expect(text).toContain('native 16-bit');
  });

  it('trains the w1 workload at its own batch size of 256', async () => {
    await setupBackend('tensorflow');
    const report = await expectNoLeaks(() =>
      runSuite({
        backend: 'tensorflow',
        workloads: ['w1'],
        policies: ['mixed_bfloat16'],
        epochs: 1,
        stepsPerEpoch: 2,
        trainSize: 512,
        testSize: 256,
        warmupSteps: 1,
        ablation: false,
      }),
    );
    expect(report.workloads[0]).toMatchObject({name: 'w1', batchSize: 256, parameters: 1_863_690});
    expect(report.runs.map((r) => [r.variant, r.steps])).toEqual([
      ['float32', 2],
      ['mixed_bfloat16', 2],
    ]);
    expect(report.runs.every((r) => Number.isFinite(r.finalTrainLoss))).toBe(true);
  });
});
