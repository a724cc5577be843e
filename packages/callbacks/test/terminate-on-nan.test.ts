import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {combineCallbacks} from '../src/combine-callbacks.js';
import {NonFiniteLossError, terminateOnNaN} from '../src/terminate-on-nan.js';
import {regressionData, regressionDataset, tinyModel} from './support.js';

describeBackends(['wasm', 'cpu'], () => {
  describe('terminateOnNaN in fit', () => {
    it('stops after the batch whose loss is NaN, naming epoch 1, batch 2 (step 2 of that fit)', async () => {
      // 20 rows, batch size 4 → 5 batches per epoch; row 10 lies in batch 2. Epoch 0 has no NaN:
      // the NaN row is injected only for the second epoch through a fresh x tensor per epoch.
      const model = tinyModel();
      model.compile({optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError'});
      const clean = regressionData(20);
      const dirty = regressionData(20, 4, [10]);
      const messages: string[] = [];
      const cb = terminateOnNaN({log: (m) => messages.push(m)});
      const batchesSeen: number[] = [];
      await expectNoLeaks(async () => {
        const x = tf.tensor2d(clean.x, [20, 4]);
        const xDirty = tf.tensor2d(dirty.x, [20, 4]);
        const y = tf.tensor2d(clean.y, [20, 1]);
        const h1 = await model.fit(x, y, {
          epochs: 1,
          batchSize: 4,
          shuffle: false,
          callbacks: [cb],
        });
        expect(cb.stoppedAt).toBeNull();
        expect(h1.history.loss).toHaveLength(1);
        const h2 = await model.fit(xDirty, y, {
          epochs: 3,
          initialEpoch: 1,
          batchSize: 4,
          shuffle: false,
          callbacks: combineCallbacks([
            cb,
            {onBatchEnd: async (b: number) => void batchesSeen.push(b)},
          ]),
        });
        // Stopped in epoch 1 at batch 2: the epoch still ends (History has one entry), no epoch 2.
        expect(h2.epoch).toEqual([1]);
        tf.dispose([x, xDirty, y]);
      });
      expect(cb.stoppedAt).toEqual({epoch: 1, batch: 2, step: 2, loss: Number.NaN});
      expect(batchesSeen).toEqual([0, 1, 2]);
      expect(messages).toEqual([
        'terminateOnNaN: loss is NaN at epoch 1, batch 2 (step 2); training stopped.',
      ]);
      model.dispose();
    });

    it('rejects fit with NonFiniteLossError when raiseError is set, leaking nothing', async () => {
      const model = tinyModel();
      model.compile({optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError'});
      const data = regressionData(24, 4, [13]);
      const trainEnds: string[] = [];
      await expectNoLeaks(async () => {
        const x = tf.tensor2d(data.x, [24, 4]);
        const y = tf.tensor2d(data.y, [24, 1]);
        const error = await model
          .fit(x, y, {
            epochs: 2,
            batchSize: 6,
            shuffle: false,
            callbacks: combineCallbacks([
              terminateOnNaN({raiseError: true, log: () => {}}),
              {onTrainEnd: async () => void trainEnds.push('after')},
            ]),
          })
          .then(
            () => null,
            (e: unknown) => e,
          );
        expect(error).toBeInstanceOf(NonFiniteLossError);
        // Row 13 is in batch 2 (rows 12..17) of epoch 0.
        expect((error as NonFiniteLossError).event).toEqual({
          epoch: 0,
          batch: 2,
          step: 2,
          loss: Number.NaN,
        });
        expect((error as Error).message).toBe(
          'terminateOnNaN: loss is NaN at epoch 0, batch 2 (step 2); training stopped.',
        );
        tf.dispose([x, y]);
      });
      // The callback after it still got onTrainEnd.
      expect(trainEnds).toEqual(['after']);
      model.dispose();
    });

    it('reads a loss already resolved to a number by an earlier plain-object callback', async () => {
      const model = tinyModel();
      model.compile({optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError'});
      const data = regressionData(16, 4, [5]);
      const cb = terminateOnNaN({log: () => {}});
      const seenTypes: string[] = [];
      await expectNoLeaks(async () => {
        const x = tf.tensor2d(data.x, [16, 4]);
        const y = tf.tensor2d(data.y, [16, 1]);
        await model.fit(x, y, {
          epochs: 1,
          batchSize: 4,
          shuffle: false,
          callbacks: combineCallbacks([
            {
              onBatchEnd: async (_b: number, logs?: tf.Logs) =>
                void seenTypes.push(typeof logs?.loss),
            },
            cb,
          ]),
        });
        tf.dispose([x, y]);
      });
      expect(seenTypes).toEqual(['number', 'number']);
      expect(cb.stoppedAt).toMatchObject({epoch: 0, batch: 1, step: 1});
      model.dispose();
    });
  });

  describe('terminateOnNaN in fitDataset', () => {
    it('stops at the NaN batch of the second epoch with the global step counted across epochs', async () => {
      // The dataset yields 4 batches of 5; the NaN row 17 sits in batch 3. Epoch 0 runs clean
      // batches only because batchesPerEpoch=3 stops before it; epoch 1 reads batches 3.. from
      // the same iterator, so its batch 0 is dataset batch 3.
      const model = tinyModel();
      model.compile({optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError'});
      const data = regressionData(40, 4, [17]);
      const cb = terminateOnNaN({log: () => {}});
      await expectNoLeaks(async () => {
        const ds = regressionDataset(data, 4, 5);
        const history = await model.fitDataset(ds, {
          epochs: 2,
          batchesPerEpoch: 3,
          callbacks: [cb],
        });
        expect(history.epoch).toEqual([0, 1]);
        expect(Number.isNaN(history.history.loss![1] as number)).toBe(true);
      });
      expect(cb.stoppedAt).toEqual({epoch: 1, batch: 0, step: 3, loss: Number.NaN});
      model.dispose();
    });
  });
});

describe('terminateOnNaN options', () => {
  it('rejects unknown options and wrong types', () => {
    expect(() => terminateOnNaN({raiseError: 'yes' as never})).toThrow(
      "terminateOnNaN: raiseError must be a boolean; got 'yes'.",
    );
    expect(() => terminateOnNaN({raiseErrors: true} as never)).toThrow(
      "terminateOnNaN: unknown option 'raiseErrors'. Allowed: raiseError, restoreWeights, log.",
    );
  });
});
