import * as tf from '@tensorflow/tfjs';
import {applyPolicy, readPolicyRecord, removePolicy} from '@tfjs-amp/policy';
import {describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {combineCallbacks} from '../src/combine-callbacks.js';
import {precisionFallback} from '../src/precision-fallback.js';
import {terminateOnNaN} from '../src/terminate-on-nan.js';
import {regressionData, tinyModel} from './support.js';

/** Every float value of the model's weights and the optimizer's weights, as one list of arrays. */
async function stateValues(model: tf.LayersModel): Promise<Float32Array[]> {
  const slots = await model.optimizer.getWeights();
  const values = [
    ...model.getWeights().map((w) => w.dataSync() as Float32Array),
    ...slots.slice(1).map((s) => s.tensor.dataSync() as Float32Array),
  ];
  slots[0]!.tensor.dispose(); // iterations: a fresh scalar
  return values.map((v) => v.slice());
}

/**
 * One clean step, so the optimizer makes its slot variables (Adam: 2 per weight) before a leak
 * check counts tensors: they are state the optimizer keeps, not a leak.
 */
async function warmUp(model: tf.LayersModel): Promise<void> {
  const x = tf.ones([4, 4]);
  const y = tf.zeros([4, 1]);
  await model.fit(x, y, {epochs: 1, batchSize: 4, verbose: 0});
  tf.dispose([x, y]);
}

function allFinite(values: Float32Array[]): boolean {
  return values.every((v) => v.every(Number.isFinite));
}

/** A probe recording the model and optimizer state at the start of every step. */
function stateProbe(model: tf.LayersModel, into: Map<number, Float32Array[]>): tf.CustomCallback {
  let step = 0;
  return new tf.CustomCallback({
    onBatchBegin: async () => void into.set(step++, await stateValues(model)),
  });
}

describeBackends(['wasm', 'cpu'], () => {
  describe('precisionFallback on a batch with non-finite data (plain Adam)', () => {
    it('keeps the policy, undoes the step and leaves no NaN weight or Adam slot', async () => {
      // 12 rows, batch 4, no shuffle: row 5 (a NaN feature) is in batch 1 of every epoch, so
      // steps 1, 4 and 7 have a NaN loss. Plain Adam applies the NaN gradient; the fallback sees
      // a non-finite input, keeps mixed_float16 and puts back the state each step started from.
      // Before the fix, it switched mixed_float16 → mixed_bfloat16 → float32 and stopped with
      // every Adam slot NaN.
      const model = tinyModel();
      applyPolicy(model, 'mixed_float16', {keepFloat32: ['out']});
      model.compile({optimizer: tf.train.adam(0.01), loss: 'meanSquaredError'});
      await warmUp(model);
      const bad = regressionData(12, 4, [5]);
      const messages: string[] = [];
      const fallback = precisionFallback({log: (m) => messages.push(m)});
      const states = new Map<number, Float32Array[]>();
      await expectNoLeaks(async () => {
        const x = tf.tensor2d(bad.x, [12, 4]);
        const y = tf.tensor2d(bad.y, [12, 1]);
        await model.fit(x, y, {
          epochs: 3,
          batchSize: 4,
          shuffle: false,
          callbacks: combineCallbacks([fallback, stateProbe(model, states)]),
        });
        tf.dispose([x, y]);
      });
      expect(fallback.switches).toEqual([]);
      expect(fallback.badData.map((e) => [e.step, e.policy, e.cause, e.restoredFromStep])).toEqual([
        [1, 'mixed_float16', 'non-finite-input', 1],
        [4, 'mixed_float16', 'non-finite-input', 4],
        [7, 'mixed_float16', 'non-finite-input', 7],
      ]);
      expect(messages[0]).toBe(
        'precisionFallback: epoch 0, batch 1 (step 1): loss is NaN under mixed_float16 because ' +
          "the batch's inputs hold a NaN or Inf: bad data, not a precision overflow, so " +
          'mixed_float16 is kept; undid the step (weights and optimizer state of step 1 ' +
          'restored). Clean the data.',
      );
      expect(readPolicyRecord(model)?.name).toBe('mixed_float16');
      // Step 2 starts exactly where step 1 started: the bad step is undone bit for bit.
      const [at1, at2] = [states.get(1)!, states.get(2)!];
      expect(at2.length).toBe(at1.length);
      for (const [i, v] of at1.entries()) expectBitsEqual(at2[i]!, v, `state ${i}`);
      expect(allFinite(await stateValues(model))).toBe(true);
      // The next fit on clean data trains to finite weights (it gave NaN before the fix).
      const clean = regressionData(12, 4);
      await expectNoLeaks(async () => {
        const x = tf.tensor2d(clean.x, [12, 4]);
        const y = tf.tensor2d(clean.y, [12, 1]);
        await model.fit(x, y, {epochs: 2, batchSize: 4, verbose: 0});
        tf.dispose([x, y]);
      });
      expect(allFinite(await stateValues(model))).toBe(true);
      removePolicy(model);
      model.dispose();
    });

    it('tells a non-finite target apart too, in fitDataset', async () => {
      const model = tinyModel();
      applyPolicy(model, 'mixed_bfloat16');
      model.compile({optimizer: tf.train.adam(0.01), loss: 'meanSquaredError'});
      await warmUp(model);
      const data = regressionData(8, 4);
      data.y[6] = Number.POSITIVE_INFINITY; // batch 1 (rows 4-7)
      const fallback = precisionFallback({log: null});
      await expectNoLeaks(async () => {
        const ds = tf.data
          .zip({
            xs: tf.data.array(
              Array.from({length: 8}, (_, r) => Array.from(data.x.subarray(r * 4, r * 4 + 4))),
            ),
            ys: tf.data.array(Array.from(data.y, (v) => [v])),
          })
          .batch(4);
        await model.fitDataset(ds, {epochs: 2, callbacks: [fallback]});
      });
      expect(fallback.switches).toEqual([]);
      expect(fallback.badData.map((e) => [e.step, e.cause, e.restoredFromStep])).toEqual([
        [1, 'non-finite-target', 1],
        [3, 'non-finite-target', 3],
      ]);
      expect(allFinite(await stateValues(model))).toBe(true);
      removePolicy(model);
      model.dispose();
    });

    it('stops with a clear message when it may not restore (restoreWeights: false)', async () => {
      const model = tinyModel();
      applyPolicy(model, 'mixed_float16');
      model.compile({optimizer: tf.train.adam(0.01), loss: 'meanSquaredError'});
      await warmUp(model);
      const bad = regressionData(12, 4, [5]);
      const messages: string[] = [];
      const fallback = precisionFallback({restoreWeights: false, log: (m) => messages.push(m)});
      const history = await expectNoLeaks(async () => {
        const x = tf.tensor2d(bad.x, [12, 4]);
        const y = tf.tensor2d(bad.y, [12, 1]);
        const h = await model.fit(x, y, {
          epochs: 3,
          batchSize: 4,
          shuffle: false,
          callbacks: [fallback],
        });
        tf.dispose([x, y]);
        return h;
      });
      expect(history.epoch).toEqual([0]);
      expect(fallback.switches).toEqual([]);
      expect(fallback.badData.map((e) => [e.step, e.restoredFromStep])).toEqual([[1, null]]);
      expect(messages[0]).toContain(
        'training stopped: the step may have put non-finite values into the weights and ' +
          'optimizer state, and no finite snapshot was taken (restoreWeights: false).',
      );
      removePolicy(model);
      model.dispose();
    });
  });

  describe('terminateOnNaN({restoreWeights: true})', () => {
    it('stops and puts back the weights and Adam slots the failing step started from', async () => {
      const model = tinyModel();
      model.compile({optimizer: tf.train.adam(0.01), loss: 'meanSquaredError'});
      await warmUp(model);
      const bad = regressionData(12, 4, [5]);
      const messages: string[] = [];
      const stop = terminateOnNaN({restoreWeights: true, log: (m) => messages.push(m)});
      const states = new Map<number, Float32Array[]>();
      await expectNoLeaks(async () => {
        const x = tf.tensor2d(bad.x, [12, 4]);
        const y = tf.tensor2d(bad.y, [12, 1]);
        await model.fit(x, y, {
          epochs: 3,
          batchSize: 4,
          shuffle: false,
          callbacks: combineCallbacks([stateProbe(model, states), stop]),
        });
        tf.dispose([x, y]);
      });
      expect(stop.stoppedAt).toEqual({
        epoch: 0,
        batch: 1,
        step: 1,
        loss: Number.NaN,
        restoredFromStep: 1,
      });
      expect(messages).toEqual([
        'terminateOnNaN: loss is NaN at epoch 0, batch 1 (step 1); training stopped and the ' +
          'weights (and optimizer state, unless a LossScaleOptimizer skipped the step) of step 1 ' +
          'restored.',
      ]);
      const now = await stateValues(model);
      for (const [i, v] of states.get(1)!.entries()) expectBitsEqual(now[i]!, v, `state ${i}`);
      model.dispose();
    });

    it('leaves the weights as the failing step made them by default (NaN here), as Keras', async () => {
      const model = tinyModel();
      model.compile({optimizer: tf.train.adam(0.01), loss: 'meanSquaredError'});
      await warmUp(model);
      const bad = regressionData(12, 4, [5]);
      const stop = terminateOnNaN({log: () => {}});
      await expectNoLeaks(async () => {
        const x = tf.tensor2d(bad.x, [12, 4]);
        const y = tf.tensor2d(bad.y, [12, 1]);
        await model.fit(x, y, {epochs: 1, batchSize: 4, shuffle: false, callbacks: [stop]});
        tf.dispose([x, y]);
      });
      expect(stop.stoppedAt?.restoredFromStep).toBeUndefined();
      expect(allFinite(await stateValues(model))).toBe(false);
      model.dispose();
    });
  });
});
