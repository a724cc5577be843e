import * as tf from '@tensorflow/tfjs';
import {LossScaleOptimizer} from '@tfjs-amp/loss-scale';
import {applyPolicy, removePolicy} from '@tfjs-amp/policy';
import {describeBackends, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {
  ampProgress,
  combineCallbacks,
  lossScaleMonitor,
  numericsMonitor,
  precisionFallback,
  terminateOnNaN,
} from '../src/index.js';
import {gradientOverflowModel} from './models.js';

describeBackends(['wasm', 'cpu'], () => {
  describe('all callbacks in one fit', () => {
    it('report, switch and keep training together, with tfjs and plain-object callbacks', async () => {
      // gradientOverflowModel under mixed_float16, 3 batches of 4 per epoch, SGD(0) so values
      // never change: every step overflows float16 ('small''s incoming gradient is 8e5). Scales
      // 8, 4, 2 (steps 0-2), then 1 at steps 3 and 4: precisionFallback({after: 2}) switches to
      // mixed_bfloat16 after step 4 (epoch 1, batch 1); from step 5 on nothing overflows.
      const model = gradientOverflowModel();
      applyPolicy(model, 'mixed_float16');
      const optimizer = new LossScaleOptimizer(tf.train.sgd(0), {initialScale: 8});
      model.compile({optimizer, loss: 'meanSquaredError'});
      const nan = terminateOnNaN({log: () => {}});
      const scale = lossScaleMonitor({minScaleWarnSteps: 2, log: null});
      const numerics = numericsMonitor({every: 1, log: null});
      const fallback = precisionFallback({after: 2, model, log: null});
      const lines: string[] = [];
      const progress = ampProgress({
        stream: {write: (c: string) => void lines.push(c)},
        now: () => 0,
      });
      const epochLosses: number[] = [];
      const history = await expectNoLeaks(async () => {
        const x = tf.ones([12, 4]);
        const y = tf.zeros([12, 1]);
        const h = await model.fit(x, y, {
          epochs: 3,
          batchSize: 4,
          callbacks: combineCallbacks([
            {onEpochEnd: async (_e: number, logs?: tf.Logs) => void epochLosses.push(logs!.loss!)},
            nan,
            scale,
            numerics,
            fallback,
            tf.callbacks.earlyStopping({monitor: 'loss', patience: 10}),
            progress,
          ]),
        });
        tf.dispose([x, y]);
        return h;
      });
      expect(history.epoch).toEqual([0, 1, 2]);
      // The plain object ran first and got numbers (tfjs resolved the Scalars for it).
      expect(epochLosses).toEqual([2.56e8, 2.56e8, 2.56e8]);
      expect(nan.stoppedAt).toBeNull();
      expect(fallback.switches.map((s) => [s.step, s.to, s.reason])).toEqual([
        [4, 'mixed_bfloat16', 'overflow-at-min-scale'],
      ]);
      expect(scale.history.overflowSteps).toEqual([0, 1, 2, 3, 4]);
      expect(scale.history.lossScale).toEqual([8, 4, 2, 1, 1, 1, 1, 1, 1]);
      expect(history.history.skipped_steps).toEqual([3, 2, 0]);
      expect(numerics.samples.map((s) => s.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
      expect(numerics.samples.map((s) => s.layers[0]!.format)).toEqual([
        ...Array(5).fill('float16'),
        ...Array(4).fill('bfloat16'),
      ]);
      expect(numerics.samples.map((s) => s.skipped)).toEqual([
        ...Array(5).fill(true),
        ...Array(4).fill(false),
      ]);
      expect(numerics.samples.map((s) => s.firstOverflow?.layer ?? null)).toEqual([
        ...Array(5).fill('small'),
        ...Array(4).fill(null),
      ]);
      // Scaled gradient reaching 'small': 8e5 times the step's scale (8, 4, 2, 1, 1, then 1).
      expect(numerics.samples.map((s) => s.layers[0]!.gradient!.inf)).toEqual([
        ...Array(5).fill(16),
        ...Array(4).fill(0),
      ]);
      // Under mixed_bfloat16 the gradient crossing 'amplify''s input is rounded to bfloat16:
      // 8e5 = 195.3125 · 4096 (the spacing at 2^19) → 195 · 4096 = 798720.
      expect(numerics.samples[8]!.layers[0]!.gradient!.maxAbs).toBe(798720);
      // The scale after epoch 0's last step (run at 2, skipped) is 1.
      expect(lines).toEqual([
        'Epoch 1/3 3 batches · 0.0s · loss 2.560e+8 · loss scale 1 · skipped 3\n',
        'Epoch 2/3 3 batches · 0.0s · loss 2.560e+8 · loss scale 1 · skipped 2 (5 in all)\n',
        'Epoch 3/3 3 batches · 0.0s · loss 2.560e+8 · loss scale 1 · skipped 0 (5 in all)\n',
      ]);
      // Nothing of the monitor is left on the layers: removing the policy restores tfjs's call.
      removePolicy(model);
      for (const layer of model.layers) expect(Object.hasOwn(layer, 'call')).toBe(false);
      model.dispose();
    });
  });
});
