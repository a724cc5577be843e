import * as tf from '@tensorflow/tfjs';
import {LossScaleOptimizer} from '@tfjs-amp/loss-scale';
import {applyPolicy} from '@tfjs-amp/policy';
import {describeBackends, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {combineCallbacks} from '../src/combine-callbacks.js';
import {lossScaleMonitor} from '../src/loss-scale-monitor.js';
import {regressionData, tinyModel} from './support.js';
import {gradientOverflowModel} from './models.js';

describeBackends(['wasm', 'cpu'], () => {
  describe('lossScaleMonitor in fit', () => {
    it('logs loss_scale and skipped_steps per batch and epoch, and keeps them in History', async () => {
      // 20 rows, batch 4, no shuffle: 5 batches per epoch; row 9 (NaN) sits in batch 2, so the
      // loss and every gradient of batch 2 are NaN in each epoch: steps 2, 7 and 12 are skipped
      // and each halves the scale (2^15 → 2^14 → 2^13 → 2^12).
      const model = tinyModel();
      const optimizer = new LossScaleOptimizer(tf.train.sgd(0.01));
      model.compile({optimizer, loss: 'meanSquaredError'});
      const data = regressionData(20, 4, [9]);
      const monitor = lossScaleMonitor({log: null});
      const batchLogs: Array<[number, number]> = [];
      const history = await expectNoLeaks(async () => {
        const x = tf.tensor2d(data.x, [20, 4]);
        const y = tf.tensor2d(data.y, [20, 1]);
        const h = await model.fit(x, y, {
          epochs: 3,
          batchSize: 4,
          shuffle: false,
          callbacks: combineCallbacks([
            monitor,
            {
              onBatchEnd: async (_b: number, logs?: tf.Logs) =>
                void batchLogs.push([logs!.loss_scale!, logs!.skipped_steps!]),
            },
          ]),
        });
        tf.dispose([x, y]);
        return h;
      });
      expect(history.history.loss_scale).toEqual([2 ** 14, 2 ** 13, 2 ** 12]);
      expect(history.history.skipped_steps).toEqual([1, 1, 1]);
      expect(batchLogs.slice(0, 6)).toEqual([
        [2 ** 15, 0],
        [2 ** 15, 0],
        [2 ** 14, 1],
        [2 ** 14, 1],
        [2 ** 14, 1],
        [2 ** 14, 0],
      ]);
      const h = monitor.toJSON();
      expect(h.lossScale).toEqual([
        ...Array(3).fill(2 ** 15),
        ...Array(5).fill(2 ** 14),
        ...Array(5).fill(2 ** 13),
        ...Array(2).fill(2 ** 12),
      ]);
      expect(h.overflowSteps).toEqual([2, 7, 12]);
      expect(h.skippedPerEpoch).toEqual([1, 1, 1]);
      expect(h.minScaleWarnings).toEqual([]);
      expect(JSON.parse(JSON.stringify(monitor))).toEqual(h);
      model.dispose();
    });

    it('warns once when the scale sits at its minimum for minScaleWarnSteps steps', async () => {
      // Gradients overflow float16 at any scale (see gradientOverflowModel): every step is
      // skipped. From 8 the scale halves to 4, 2, 1 (minScale); steps 3, 4, 5, 6 run at 1, so the
      // 4th of them, step 6, warns.
      const model = gradientOverflowModel();
      applyPolicy(model, 'mixed_float16');
      const optimizer = new LossScaleOptimizer(tf.train.sgd(0), {initialScale: 8});
      model.compile({optimizer, loss: 'meanSquaredError'});
      const warnings: string[] = [];
      const monitor = lossScaleMonitor({minScaleWarnSteps: 4, log: (m) => warnings.push(m)});
      await expectNoLeaks(async () => {
        const x = tf.ones([16, 4]);
        const y = tf.zeros([16, 1]);
        await model.fit(x, y, {epochs: 3, batchSize: 4, callbacks: [monitor]});
        tf.dispose([x, y]);
      });
      const h = monitor.toJSON();
      expect(h.lossScale).toEqual([8, 4, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
      expect(h.overflowSteps).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      expect(h.minScaleWarnings).toEqual([
        {step: 6, epoch: 1, batch: 2, sinceStep: 3, minScale: 1, skipped: 4},
      ]);
      expect(warnings).toEqual([
        'lossScaleMonitor: the loss scale has sat at its minimum (1) for 4 steps (steps 3-6, ' +
          'epoch 1, batch 2); 4 of them were skipped because gradients overflowed even at that ' +
          'scale. Find the layer with numericsMonitor(), or switch precision with precisionFallback().',
      ]);
      model.dispose();
    });

    it('rejects fit at the start when the optimizer has no loss scale', async () => {
      const model = tinyModel();
      model.compile({optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError'});
      await expectNoLeaks(async () => {
        const x = tf.ones([4, 4]);
        const y = tf.zeros([4, 1]);
        await expect(model.fit(x, y, {epochs: 1, callbacks: [lossScaleMonitor()]})).rejects.toThrow(
          'lossScaleMonitor: model.optimizer must be a LossScaleOptimizer (from @tfjs-amp/loss-scale); ' +
            'got SGDOptimizer. Compile with {optimizer: new LossScaleOptimizer(tf.train.adam(1e-3))}.',
        );
        tf.dispose([x, y]);
      });
      model.dispose();
    });
  });

  describe('lossScaleMonitor in fitDataset', () => {
    it('counts steps and per-epoch skips across epochs of a dataset', async () => {
      const model = gradientOverflowModel();
      applyPolicy(model, 'mixed_float16');
      const optimizer = new LossScaleOptimizer(tf.train.sgd(0), {initialScale: 4});
      model.compile({optimizer, loss: 'meanSquaredError'});
      const monitor = lossScaleMonitor({minScaleWarnSteps: 2, log: null});
      const history = await expectNoLeaks(() => {
        const ds = tf.data
          .zip({
            xs: tf.data.array(Array(12).fill([1, 1, 1, 1])),
            ys: tf.data.array(Array(12).fill([0])),
          })
          .batch(3);
        return model.fitDataset(ds, {epochs: 2, callbacks: [monitor]});
      });
      // 4 batches per epoch, all skipped: scales 4, 2, 1, 1 | 1, 1, 1, 1.
      expect(monitor.history.lossScale).toEqual([4, 2, 1, 1, 1, 1, 1, 1]);
      expect(monitor.history.minScaleWarnings.map((w) => [w.step, w.sinceStep])).toEqual([[3, 2]]);
      expect(history.history.skipped_steps).toEqual([4, 4]);
      expect(history.history.loss_scale).toEqual([1, 1]);
      model.dispose();
    });
  });
});

describe('lossScaleMonitor options', () => {
  it('rejects bad options', () => {
    expect(() => lossScaleMonitor({minScaleWarnSteps: 1.5})).toThrow(
      'lossScaleMonitor: minScaleWarnSteps must be a positive integer; got 1.5.',
    );
    expect(() => lossScaleMonitor({log: 'console' as never})).toThrow(
      "lossScaleMonitor: log must be a function or null; got 'console'.",
    );
  });
});
