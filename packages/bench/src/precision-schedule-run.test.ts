import * as tf from '@tensorflow/tfjs';
import {expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {formatScheduleComparison, runScheduleComparison} from './precision-schedule-run.js';

describe('runScheduleComparison', () => {
  it('trains bf16 early and float32 late against float32 throughout, switching at the given epoch', async () => {
    // 256 examples, batch 64: 4 steps per epoch; 3 epochs, switch before epoch 2.
    const result = await expectNoLeaks(() =>
      runScheduleComparison({
        backend: 'cpu',
        epochs: 3,
        switchEpoch: 2,
        trainSize: 256,
        testSize: 64,
        batchSize: 64,
      }),
    );
    expect(tf.getBackend()).toBe('cpu');
    expect(result.baseline.policyByEpoch).toEqual(['float32', 'float32', 'float32']);
    expect(result.scheduled.policyByEpoch).toEqual(['mixed_bfloat16', 'mixed_bfloat16', 'float32']);
    expect(result.switches.map((s) => [s.epoch, s.batch, s.from, s.to])).toEqual([
      [2, 0, 'mixed_bfloat16', 'float32'],
    ]);
    for (const side of [result.baseline, result.scheduled]) {
      expect(side.epochMs).toHaveLength(3);
      expect(side.totalMs).toBeGreaterThan(0);
      expect(Number.isFinite(side.trainLoss)).toBe(true);
      expect(side.testAccuracy).toBeGreaterThanOrEqual(0);
      expect(side.testAccuracy).toBeLessThanOrEqual(1);
    }
    // Same start, same batches: bfloat16 rounding is the only difference, so the two runs differ.
    expect(result.scheduled.trainLoss).not.toBe(result.baseline.trainLoss);
    const text = formatScheduleComparison(result);
    expect(text).toContain('mixed_bfloat16 → float32 from epoch 2');
    expect(text).toContain('Switches: mixed_bfloat16 → float32 before epoch 2.');
  });

  it('rejects a switch epoch outside the run, naming the range', async () => {
    await expect(runScheduleComparison({epochs: 4, switchEpoch: 4})).rejects.toThrow(
      new RangeError(
        'tfjs-amp-bench --precision-schedule: switchEpoch must be an integer in [1, 3]; got 4.',
      ),
    );
    await expect(runScheduleComparison({late: 'fp32' as 'float32'})).rejects.toThrow(
      "tfjs-amp-bench --precision-schedule: unknown late policy 'fp32'.",
    );
  });
});
