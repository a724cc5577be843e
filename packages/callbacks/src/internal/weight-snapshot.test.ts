import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {shareData, snapshotWeights} from './weight-snapshot.js';

describeBackends(['wasm', 'cpu'], () => {
  describe('shareData', () => {
    it('keeps the values a variable had when shared, through assign and dispose', async () => {
      await expectNoLeaks(async () => {
        const initial = tf.tensor1d([1, 2, 3]);
        const v = tf.variable(initial);
        initial.dispose();
        const before = shareData(v);
        const next = tf.tensor1d([4, 5, 6]);
        v.assign(next);
        next.dispose();
        expectBitsEqual(await before.data(), [1, 2, 3]);
        v.dispose();
        // The variable's old data survives as long as the snapshot does.
        expectBitsEqual(await before.data(), [1, 2, 3]);
        before.dispose();
        expect(before.isDisposed).toBe(true);
      });
    });
  });

  describe('snapshotWeights', () => {
    it('restores a model exactly after training moved it on', async () => {
      const model = tf.sequential({
        layers: [tf.layers.dense({units: 2, inputShape: [3], kernelInitializer: 'ones'})],
      });
      model.compile({optimizer: tf.train.sgd(0.5), loss: 'meanSquaredError'});
      const x = tf.ones([4, 3]);
      const y = tf.zeros([4, 2]);
      const start = model.getWeights().map((w) => w.dataSync().slice());
      await expectNoLeaks(async () => {
        const snap = snapshotWeights(model);
        await model.fit(x, y, {epochs: 1, batchSize: 4});
        expect(model.getWeights()[0]!.dataSync()[0]).not.toBe(1);
        model.setWeights(snap);
        tf.dispose(snap);
      });
      for (const [i, w] of model.getWeights().entries()) {
        expectBitsEqual(w.dataSync(), start[i]!, `weight ${i}`);
      }
      tf.dispose([x, y]);
      model.dispose();
    });
  });
});
