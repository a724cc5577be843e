import * as tf from '@tensorflow/tfjs';
import {applyPolicy, removePolicy} from '@tfjs-amp/policy';
import {describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {combineCallbacks} from '../src/combine-callbacks.js';
import {numericsMonitor} from '../src/numerics-monitor.js';
import {regressionData, tinyModel} from './support.js';
import {activationOverflowModel as overflowingModel, gradientOverflowModel} from './models.js';

const ones = (rows: number) => tf.ones([rows, 4]);

describeBackends(['wasm', 'cpu'], () => {
  describe('numericsMonitor in fit', () => {
    it('samples steps 0, 3, 6 across epochs and names the layer whose activations overflow float16', async () => {
      const model = overflowingModel();
      model.compile({optimizer: tf.train.sgd(0), loss: 'meanSquaredError'});
      const warnings: string[] = [];
      const monitor = numericsMonitor({every: 3, format: 'float16', log: (m) => warnings.push(m)});
      await expectNoLeaks(async () => {
        const x = ones(16);
        const y = tf.zeros([16, 1]);
        await model.fit(x, y, {epochs: 2, batchSize: 4, shuffle: false, callbacks: [monitor]});
        tf.dispose([x, y]);
      });
      expect(monitor.samples.map((s) => [s.epoch, s.batch, s.step])).toEqual([
        [0, 0, 0],
        [0, 3, 3],
        [1, 2, 6],
      ]);
      for (const s of monitor.samples) {
        expect(s.lossScale).toBeNull();
        expect(s.skipped).toBeNull();
        expect(s.firstOverflow).toEqual({layer: 'big', tensor: 'activation'});
        const [big, out] = s.layers;
        expect(big!.name).toBe('big');
        expect(big!.format).toBe('float16');
        // 4 rows × 2 units, all 8e4: every value overflows float16, none is NaN or Inf yet.
        expect(big!.activation).toEqual({
          size: 8,
          maxAbs: 80000,
          maxAbsRatio: 80000 / 65504,
          nan: 0,
          inf: 0,
          overflow: 8,
          underflow: 0,
          subnormal: 0,
          zero: 0,
        });
        expect(out!.activation!.overflow).toBe(0);
        expect(out!.activation!.maxAbs).toBeCloseTo(1.6, 5);
        expect(out!.gradient!.size).toBe(4);
        expect(big!.gradient!.size).toBe(8);
      }
      expect(warnings).toHaveLength(3);
      expect(warnings[2]).toBe(
        "numericsMonitor: step 6 (epoch 1, batch 2): first overflow in layer 'big' activations " +
          '(float16, max 65504): 8 finite values beyond range, 0 Inf, 0 NaN of 8.',
      );
      model.dispose();
    });

    it('measures against the policy output format: Inf in mixed_float16, named at the first layer', async () => {
      const model = overflowingModel();
      applyPolicy(model, 'mixed_float16');
      model.compile({optimizer: tf.train.sgd(0), loss: 'meanSquaredError'});
      const monitor = numericsMonitor({every: 100, log: null});
      await expectNoLeaks(async () => {
        const x = ones(8);
        const y = tf.zeros([8, 1]);
        await model.fit(x, y, {epochs: 1, batchSize: 8, callbacks: [monitor]});
        tf.dispose([x, y]);
      });
      expect(monitor.samples).toHaveLength(1);
      const [big, out] = monitor.samples[0]!.layers;
      expect(big!.format).toBe('float16');
      // The policy rounded 8e4 to Inf at 'big''s output; 'out' then computes Inf · 1e-5.
      expect(big!.activation).toMatchObject({size: 16, inf: 16, overflow: 0, maxAbs: 0});
      expect(out!.activation).toMatchObject({size: 8, inf: 8});
      expect(monitor.samples[0]!.firstOverflow).toEqual({layer: 'big', tensor: 'activation'});
      removePolicy(model);
      model.dispose();
    });

    it('names the layer whose incoming gradient overflows when activations are fine', async () => {
      const model = gradientOverflowModel();
      model.compile({optimizer: tf.train.sgd(0), loss: 'meanSquaredError'});
      const monitor = numericsMonitor({every: 1, format: 'float16', log: null});
      await expectNoLeaks(async () => {
        const x = ones(4);
        const y = tf.zeros([4, 1]);
        await model.fit(x, y, {epochs: 1, batchSize: 4, callbacks: [monitor]});
        tf.dispose([x, y]);
      });
      const [small, amplify] = monitor.samples[0]!.layers;
      // h = 4 · 10 = 40 per unit; out = 4 · 40 · 100 = 1.6e4; dL/dout = 2 · 1.6e4 / 4 = 8e3;
      // dL/dh = 100 · 8e3 = 8e5 per unit: beyond 65504.
      expect(small!.activation!.overflow).toBe(0);
      expect(amplify!.activation!.overflow).toBe(0);
      expect(amplify!.gradient!.overflow).toBe(0);
      expect(amplify!.gradient!.maxAbs).toBe(8e3);
      expect(small!.gradient).toMatchObject({size: 16, overflow: 16});
      expect(small!.gradient!.maxAbs).toBe(8e5);
      expect(amplify!.activation!.maxAbs).toBe(1.6e4);
      expect(monitor.samples[0]!.firstOverflow).toEqual({layer: 'small', tensor: 'gradient'});
      model.dispose();
    });

    it('trains bit-identically with and without sampling, and leaves no hook between samples', async () => {
      const data = regressionData(32, 4);
      type Callbacks = ReturnType<typeof combineCallbacks>;
      const train = async (callbacksFor: (layer: tf.layers.Layer) => Callbacks) => {
        const model = tinyModel({seed: 3});
        applyPolicy(model, 'mixed_float16');
        model.compile({optimizer: tf.train.adam(0.01), loss: 'meanSquaredError'});
        const x = tf.tensor2d(data.x, [32, 4]);
        const y = tf.tensor2d(data.y, [32, 1]);
        const callbacks = callbacksFor(model.getLayer('hidden'));
        await model.fit(x, y, {epochs: 2, batchSize: 8, shuffle: false, callbacks});
        const weights = model.getWeights().map((w) => w.dataSync().slice());
        tf.dispose([x, y]);
        return {model, weights};
      };
      const before = tf.memory().numTensors;
      const plain = await train(() => []);
      // What a run keeps by itself: the model's weights and Adam's slots.
      const kept = tf.memory().numTensors - before;
      const monitor = numericsMonitor({every: 2, log: null});
      // At each batch begin (after the monitor's): is 'hidden'.call still the policy's one?
      const wrapped: boolean[] = [];
      const restored: boolean[] = [];
      const sampled = await expectNoLeaks(
        () =>
          train((layer) => {
            const policyCall = (layer as unknown as {call: unknown}).call;
            const current = () => (layer as unknown as {call: unknown}).call;
            return combineCallbacks([
              monitor,
              {
                onBatchBegin: async () => void wrapped.push(current() !== policyCall),
                onBatchEnd: async () => void restored.push(current() === policyCall),
              },
            ]);
          }),
        kept,
      );
      for (let i = 0; i < plain.weights.length; i++) {
        expectBitsEqual(sampled.weights[i]!, plain.weights[i]!, `weight ${i}`);
      }
      // 4 batches per epoch, 8 steps: sampled at steps 0, 2, 4, 6 only.
      expect(monitor.samples.map((s) => s.step)).toEqual([0, 2, 4, 6]);
      expect(wrapped).toEqual([true, false, true, false, true, false, true, false]);
      expect(restored).toEqual(Array(8).fill(true));
      plain.model.dispose();
      sampled.model.dispose();
    });
  });

  describe('numericsMonitor in fitDataset', () => {
    it('samples by global step across epochs of a dataset and names the overflowing layer', async () => {
      // 6 batches of 4 all-ones rows per epoch through the overflowing model ('big' outputs 8e4):
      // every 4th step is sampled, steps 0 and 4 in epoch 0, step 8 = epoch 1, batch 2.
      const model = overflowingModel();
      model.compile({optimizer: tf.train.sgd(0), loss: 'meanSquaredError'});
      const monitor = numericsMonitor({every: 4, layers: ['big'], format: 'bfloat16', log: null});
      const float16 = numericsMonitor({every: 4, layers: ['big'], format: 'float16', log: null});
      await expectNoLeaks(async () => {
        const ds = tf.data
          .zip({
            xs: tf.data.array(Array(24).fill([1, 1, 1, 1])),
            ys: tf.data.array(Array(24).fill([0])),
          })
          .batch(4);
        await model.fitDataset(ds, {epochs: 2, callbacks: [monitor, float16]});
      });
      expect(float16.samples.map((s) => [s.epoch, s.batch, s.step])).toEqual([
        [0, 0, 0],
        [0, 4, 4],
        [1, 2, 8],
      ]);
      // 8e4 fits bfloat16 (max ~3.4e38) but not float16.
      expect(monitor.samples.map((s) => s.firstOverflow)).toEqual([null, null, null]);
      expect(float16.samples.map((s) => s.firstOverflow)).toEqual(
        Array(3).fill({layer: 'big', tensor: 'activation'}),
      );
      expect(float16.samples[2]!.layers.map((l) => [l.name, l.format])).toEqual([
        ['big', 'float16'],
      ]);
      expect(float16.samples[2]!.layers[0]!.activation).toMatchObject({size: 8, overflow: 8});
      expect(JSON.parse(JSON.stringify(float16))).toEqual(float16.toJSON());
      model.dispose();
    });
  });
});

describe('numericsMonitor options', () => {
  it('rejects bad options with the allowed values', () => {
    expect(() => numericsMonitor({every: 0})).toThrow(
      'numericsMonitor: every must be a positive integer; got 0.',
    );
    expect(() => numericsMonitor({format: 'float61' as 'float16'})).toThrow(
      "numericsMonitor: unknown format 'float61'. Allowed: bfloat16, float16, float32, float8_e4m3fn, float8_e5m2, tf32.",
    );
    expect(() => numericsMonitor({evry: 3} as never)).toThrow(/unknown option 'evry'/);
  });
});
