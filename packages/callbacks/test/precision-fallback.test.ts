import * as tf from '@tensorflow/tfjs';
import {LossScaleOptimizer} from '@tfjs-amp/loss-scale';
import {applyPolicy, policyOf, readPolicyRecord, removePolicy} from '@tfjs-amp/policy';
import {describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {combineCallbacks} from '../src/combine-callbacks.js';
import {precisionFallback} from '../src/precision-fallback.js';
import {tinyModel} from './support.js';
import {gradientOverflowModel, linearModel, rawFeatureRegression} from './models.js';

/** Relative gap allowed between the fallback run's final loss and the float32 run's. */
const LOSS_TOLERANCE = 0.02;

// The convergence proof trains 2 × 240 steps: wasm only (the pure-JS cpu backend is ~30× slower);
// every other test runs on both.
describeBackends(['wasm'], () => {
  describe('precisionFallback in fit', () => {
    it(`trains a model stuck under mixed_float16 to the float32 loss (within ${LOSS_TOLERANCE * 100}%) after switching to mixed_bfloat16`, async () => {
      // Measured here: float32 3.2228e5, fallback 3.2599e5 (1.2% apart; the floor is the noise
      // variance, ~3.3e5). Raw features up to 1000 and targets up to 9e4: the output gradient times x overflows
      // float16 at every scale, so every step is skipped. The scale halves from 2^15 on steps
      // 0..14 and runs at 1 (minScale) from step 15: with after = 10, steps 15..24 overflow at
      // the minimum and the switch comes at the end of step 24 (epoch 3, batch 0 with 8 batches
      // per epoch). Step 14 was the last step that did not overflow at the minimum.
      const samples = 256;
      const epochs = 30;
      const data = rawFeatureRegression(samples);
      const train = async (
        policy: 'float32' | 'mixed_float16',
        callbacksFor: (model: tf.Sequential) => tf.Callback[],
      ) => {
        const model = linearModel();
        const callbacks = callbacksFor(model);
        applyPolicy(model, policy);
        const optimizer = new LossScaleOptimizer(tf.train.adam(3));
        model.compile({optimizer, loss: 'meanSquaredError'});
        const x = tf.tensor2d(data.x, [samples, 4]);
        const y = tf.tensor2d(data.y, [samples, 1]);
        await model.fit(x, y, {epochs, batchSize: 32, shuffle: false, callbacks});
        const lossTensor = model.evaluate(x, y, {batchSize: samples}) as tf.Scalar;
        const loss = (await lossTensor.data())[0]!;
        tf.dispose([x, y, lossTensor]);
        return {model, optimizer, loss};
      };
      const reference = await train('float32', () => []);
      const messages: string[] = [];
      let fallback = precisionFallback();
      const run = await train('mixed_float16', () => {
        fallback = precisionFallback({log: (m) => messages.push(m)});
        return [fallback];
      });
      expect(fallback.switches).toEqual([
        {
          epoch: 3,
          batch: 0,
          step: 24,
          from: 'mixed_float16',
          to: 'mixed_bfloat16',
          reason: 'overflow-at-min-scale',
          loss: expect.any(Number),
          restoredFromStep: 14,
        },
      ]);
      expect(messages).toEqual([
        'precisionFallback: epoch 3, batch 0 (step 24): gradients overflowed with the loss scale ' +
          'at its minimum (1) for 10 steps in a row under mixed_float16; switched to ' +
          'mixed_bfloat16 and restored the weights the model had at step 14.',
      ]);
      expect(run.optimizer.skippedSteps).toBe(25);
      expect(policyOf(run.model.getLayer('linear'))?.name).toBe('mixed_bfloat16');
      expect(readPolicyRecord(run.model)?.name).toBe('mixed_bfloat16');
      expect(Math.abs(run.loss - reference.loss) / reference.loss).toBeLessThan(LOSS_TOLERANCE);
      removePolicy(run.model);
      removePolicy(reference.model);
      run.model.dispose();
      reference.model.dispose();
    });
  });
});

describeBackends(['wasm', 'cpu'], () => {
  describe('precisionFallback in fit', () => {
    it('switches on a non-finite loss from finite data along the whole order, restoring the start of each failing step, then stops', async () => {
      // 'big' has kernel 1e38: on all-ones rows its outputs are 4e38, beyond float32's max, so
      // the loss is non-finite under every policy while inputs and targets are finite: a
      // precision overflow each time. 3 batches per epoch; no step is ever good, so each switch
      // restores the failing step's own start (finite, the initial weights; Adam's slots, made
      // by the failing step, are dropped): step 0 mixed_float16 → mixed_bfloat16, step 1 →
      // float32, step 2: nothing left after float32 → stop.
      const model = tf.sequential({
        layers: [
          tf.layers.dense({
            units: 2,
            inputShape: [4],
            useBias: false,
            kernelInitializer: tf.initializers.constant({value: 1e38}),
            name: 'big',
          }),
          tf.layers.dense({units: 1, useBias: false, name: 'out'}),
        ],
      });
      applyPolicy(model, 'mixed_float16', {keepFloat32: ['out']});
      const optimizer = tf.train.adam(0.01);
      model.compile({optimizer, loss: 'meanSquaredError'});
      const initial = model.getWeights().map((w) => w.dataSync().slice());
      const messages: string[] = [];
      const fallback = precisionFallback({model, log: (m) => messages.push(m)});
      const history = await expectNoLeaks(async () => {
        const x = tf.ones([12, 4]);
        const y = tf.zeros([12, 1]);
        const h = await model.fit(x, y, {
          epochs: 5,
          batchSize: 4,
          shuffle: false,
          callbacks: [fallback],
        });
        tf.dispose([x, y]);
        return h;
      });
      expect(history.epoch).toEqual([0]);
      expect(
        fallback.switches.map((s) => [s.step, s.from, s.to, s.reason, s.restoredFromStep]),
      ).toEqual([
        [0, 'mixed_float16', 'mixed_bfloat16', 'non-finite-loss', 0],
        [1, 'mixed_bfloat16', 'float32', 'non-finite-loss', 1],
        [2, 'float32', null, 'non-finite-loss', 2],
      ]);
      expect(fallback.badData).toEqual([]);
      expect(messages[2]).toMatch(
        /^precisionFallback: epoch 0, batch 2 \(step 2\): loss is (NaN|Infinity) under float32 with finite inputs and targets; no policy left after float32 in order \[mixed_float16, mixed_bfloat16, float32\]; training stopped and restored the weights and optimizer state the model had at step 2\.$/,
      );
      // The overrides and keepFloat32 list survive each switch.
      expect(readPolicyRecord(model)).toEqual({
        name: 'float32',
        overrides: {},
        keepFloat32: ['out'],
      });
      // Nothing non-finite is left behind: the initial weights, bit for bit, and no Adam slot.
      for (const [i, w] of model.getWeights().entries()) {
        expectBitsEqual(w.dataSync(), initial[i]!, `weight ${i}`);
      }
      const slots = await optimizer.getWeights();
      expect(slots.length).toBe(1); // iterations only: the slots the failing steps made are gone
      tf.dispose(slots.map((s) => s.tensor));
      removePolicy(model);
      model.dispose();
    });

    it('finds the Sequential the policy was applied to without a model option', async () => {
      const model = tinyModel();
      applyPolicy(model, 'mixed_float16');
      model.compile({optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError'});
      const fallback = precisionFallback();
      await expectNoLeaks(async () => {
        const x = tf.ones([4, 4]);
        const y = tf.zeros([4, 1]);
        await model.fit(x, y, {epochs: 1, verbose: 0, callbacks: [fallback]});
        tf.dispose([x, y]);
      });
      expect(fallback.policy).toBe('mixed_float16');
      expect(fallback.switches).toEqual([]);
      removePolicy(model);
      model.dispose();
    });

    it('works without a model option on a functional model', async () => {
      const input = tf.input({shape: [4]});
      // The layers of gradientOverflowModel, as a functional model (fit trains it directly).
      const constant = (value: number) => tf.initializers.constant({value});
      const hidden = tf.layers.dense({units: 4, useBias: false, kernelInitializer: constant(10)});
      const out = tf.layers.dense({units: 1, useBias: false, kernelInitializer: constant(100)});
      const model = tf.model({
        inputs: input,
        outputs: out.apply(hidden.apply(input)) as tf.SymbolicTensor,
      });
      applyPolicy(model, 'mixed_float16');
      const optimizer = new LossScaleOptimizer(tf.train.sgd(0), {initialScale: 4});
      model.compile({optimizer, loss: 'meanSquaredError'});
      const fallback = precisionFallback({after: 2, log: null});
      await expectNoLeaks(async () => {
        const x = tf.ones([8, 4]);
        const y = tf.zeros([8, 1]);
        await model.fit(x, y, {epochs: 3, batchSize: 4, callbacks: [fallback]});
        tf.dispose([x, y]);
      });
      // 2 batches per epoch, 3 epochs. Scales 4, 2 (skipped, above the minimum), then 1 at steps 2
      // and 3: switch after step 3; steps 4 and 5 apply under mixed_bfloat16.
      expect(fallback.switches.map((s) => [s.step, s.to, s.reason])).toEqual([
        [3, 'mixed_bfloat16', 'overflow-at-min-scale'],
      ]);
      expect(optimizer.skippedSteps).toBe(4);
      expect(fallback.policy).toBe('mixed_bfloat16');
      removePolicy(model);
      model.dispose();
    });
  });

  describe('precisionFallback in fitDataset', () => {
    it('switches when gradients overflow at the minimum scale, and the next steps apply', async () => {
      // All-ones batches through gradientOverflowModel: under mixed_float16 every step overflows.
      // Scales 8, 4, 2 (steps 0-2, skipped above the minimum), then 1 at steps 3 and 4: with
      // after = 2 the switch follows step 4 (epoch 1, batch 1 with 3 batches per epoch). Under
      // mixed_bfloat16 the gradient (8e5) is finite: steps 5.. apply.
      const model = gradientOverflowModel();
      applyPolicy(model, 'mixed_float16');
      const optimizer = new LossScaleOptimizer(tf.train.sgd(0), {initialScale: 8});
      model.compile({optimizer, loss: 'meanSquaredError'});
      const fallback = precisionFallback({after: 2, model, log: null});
      const skipped: boolean[] = [];
      await expectNoLeaks(async () => {
        const ds = tf.data
          .zip({
            xs: tf.data.array(Array(24).fill([1, 1, 1, 1])),
            ys: tf.data.array(Array(24).fill([0])),
          })
          .batch(4)
          .repeat();
        await model.fitDataset(ds, {
          epochs: 3,
          batchesPerEpoch: 3,
          callbacks: combineCallbacks([
            fallback,
            {onBatchEnd: async () => void skipped.push(optimizer.lastStepSkipped)},
          ]),
        });
      });
      expect(
        fallback.switches.map((s) => [s.epoch, s.batch, s.step, s.to, s.restoredFromStep]),
      ).toEqual([[1, 1, 4, 'mixed_bfloat16', 2]]);
      expect(skipped).toEqual([true, true, true, true, true, false, false, false, false]);
      removePolicy(model);
      model.dispose();
    });
  });
});

describe('precisionFallback options', () => {
  it('rejects bad options, naming what is allowed', () => {
    expect(() => precisionFallback({after: 0})).toThrow(
      'precisionFallback: after must be a positive integer; got 0.',
    );
    expect(() => precisionFallback({order: ['mixed_float16', 'float64' as 'float32']})).toThrow(
      "precisionFallback: unknown policy name in order 'float64'. Allowed: bfloat16, float16, float32, mixed_bfloat16, mixed_float16, mixed_float8_e4m3fn, mixed_float8_e5m2, mixed_tf32.",
    );
    expect(() => precisionFallback({order: ['float32', 'float32']})).toThrow(
      'precisionFallback: order lists a policy twice; got [float32, float32].',
    );
    expect(() => precisionFallback({order: []})).toThrow(
      'precisionFallback: order must be a non-empty array of policy names; got Array.',
    );
  });
});
