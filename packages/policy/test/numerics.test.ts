// What half precision does to training, shown with plain model.fit: gradient underflow (why loss
// scaling exists) and lost small updates (why float32 master weights exist).
import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {applyPolicy, type PolicyName} from '../src/index.js';

/**
 * y = x·w with w = 0.5 (4 weights), x = ones(4, 4), y* = 0, loss = 1e-8 · mean((y - y*)²).
 * Each y is 2, so dL/dy = 1e-8 · 2 · 2 / 4 = 1e-8 per output: below half float16's smallest
 * subnormal (2^-25 ≈ 2.98e-8), so it rounds to 0 at the output cast point. bfloat16 has
 * float32's exponent range and keeps it. dL/dw_j = Σ_i x_ij · 1e-8 = 4e-8; SGD with lr 1000
 * moves each weight by 4e-5.
 */
async function trainTiny(policy: PolicyName, lossScale = 1): Promise<Float32Array> {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        units: 1,
        useBias: false,
        inputShape: [4],
        kernelInitializer: tf.initializers.constant({value: 0.5}),
      }),
    ],
  });
  applyPolicy(model, policy);
  model.compile({
    // Static loss scaling by hand: scale the loss up, the learning rate down by the same factor.
    optimizer: tf.train.sgd(1000 / lossScale),
    loss: (yTrue: tf.Tensor, yPred: tf.Tensor) =>
      tf.mul(tf.losses.meanSquaredError(yTrue, yPred), 1e-8 * lossScale),
  });
  const x = tf.ones([4, 4]);
  const y = tf.zeros([4, 1]);
  await expectNoLeaks(() => model.fit(x, y, {epochs: 3, batchSize: 4, verbose: 0}));
  const w = Float32Array.from(model.layers[0]!.getWeights()[0]!.dataSync() as Float32Array);
  tf.dispose([x, y]);
  model.dispose();
  return w;
}

describeBackends(['cpu', 'wasm'], () => {
  describe('gradient underflow under mixed_float16', () => {
    it('learns nothing from ~1e-8 gradients without loss scaling', async () => {
      const w = await trainTiny('mixed_float16');
      expect(Array.from(w)).toEqual([0.5, 0.5, 0.5, 0.5]);
    });

    it('learns from the same gradients under float32 and mixed_bfloat16', async () => {
      for (const policy of ['float32', 'mixed_bfloat16'] as const) {
        const w = await trainTiny(policy);
        for (const v of w) {
          // Three steps of about 4e-5 each (the loss barely changes as w moves).
          expect(v, policy).toBeLessThan(0.5);
          expect(0.5 - v, policy).toBeCloseTo(1.2e-4, 5);
        }
      }
    });

    it('learns again under mixed_float16 once the loss is scaled by 2^16', async () => {
      const w = await trainTiny('mixed_float16', 2 ** 16);
      for (const v of w) expect(0.5 - v).toBeCloseTo(1.2e-4, 5);
    });
  });

  describe('master weights', () => {
    /**
     * y = x·w with w = 1, x = 1, loss = mean(y): ∇w = 1 every step, SGD lr 1e-4. Just below 1,
     * float16 values are 2^-11 ≈ 4.9e-4 apart, so 1 - 1e-4 rounds back to 1 when the variable
     * itself is float16; a float32 master weight accumulates the updates.
     */
    async function trainSmallUpdates(policy: PolicyName): Promise<number> {
      const model = tf.sequential({
        layers: [
          tf.layers.dense({units: 1, useBias: false, inputShape: [1], kernelInitializer: 'ones'}),
        ],
      });
      applyPolicy(model, policy);
      model.compile({
        optimizer: tf.train.sgd(1e-4),
        loss: (_t: tf.Tensor, p: tf.Tensor) => tf.mean(p),
      });
      const x = tf.ones([1, 1]);
      await model.fit(x, x, {epochs: 10, batchSize: 1, verbose: 0});
      const w = model.layers[0]!.getWeights()[0]!.dataSync()[0]!;
      x.dispose();
      model.dispose();
      return w;
    }

    it('loses 1e-4 updates to a weight of 1 when variables are float16, keeps them under mixed_float16', async () => {
      expect(await trainSmallUpdates('float16')).toBe(1);
      expect(await trainSmallUpdates('mixed_float16')).toBeCloseTo(1 - 1e-3, 6);
      expect(await trainSmallUpdates('float32')).toBeCloseTo(1 - 1e-3, 6);
    });
  });
});
