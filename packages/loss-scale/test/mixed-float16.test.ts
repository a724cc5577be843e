// The point of loss scaling: a mixed_float16 model whose gradients underflow in float16 does not
// train with a plain optimizer, and trains like float32 with LossScaleOptimizer.
import * as tf from '@tensorflow/tfjs';
import {applyPolicy} from '@tfjs-amp/policy';
import {describeBackends} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {LossScaleOptimizer} from '../src/index.js';

// A loss weighted by 2^-24 (think of a small auxiliary loss, or a mean over many elements): its
// output gradients are ~1e-9, below half of float16's smallest subnormal (2^-25), so a float16
// backward pass rounds them to zero; scaled by 2^15 and more they are representable.
const LOSS_WEIGHT = 2 ** -24;
const EPOCHS = 20;

function buildFloat32Model(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.dense({
        units: 16,
        inputShape: [8],
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({seed: 1}),
      }),
      tf.layers.dense({units: 1, kernelInitializer: tf.initializers.glorotUniform({seed: 2})}),
    ],
  });
}

describe('LossScaleOptimizer on a mixed_float16 model', () => {
  describeBackends(['wasm'], () => {
    it('restores convergence: final loss within 2% of float32, where plain Adam does not train', async () => {
      const x = tf.randomNormal([256, 8], 0, 1, 'float32', 3);
      const y = tf.tidy(() =>
        tf.add(
          tf.tanh(tf.matMul(x, tf.randomNormal([8, 1], 0, 1, 'float32', 4))),
          tf.randomNormal([256, 1], 0, 0.1, 'float32', 5),
        ),
      );
      const loss = (yTrue: tf.Tensor, yPred: tf.Tensor) =>
        tf.mul(tf.losses.meanSquaredError(yTrue, yPred), LOSS_WEIGHT);
      const train = async (model: tf.LayersModel, optimizer: tf.Optimizer) => {
        model.compile({optimizer, loss});
        const h = await model.fit(x, y, {
          epochs: EPOCHS,
          batchSize: 32,
          shuffle: false,
          verbose: 0,
        });
        model.dispose();
        return h.history.loss as number[];
      };

      const float32 = await train(buildFloat32Model(), tf.train.adam(0.01));
      const plain = await train(
        applyPolicy(buildFloat32Model(), 'mixed_float16'),
        tf.train.adam(0.01),
      );
      const opt = new LossScaleOptimizer(tf.train.adam(0.01), {growthInterval: 20});
      const scaled = await train(applyPolicy(buildFloat32Model(), 'mixed_float16'), opt);

      const last = (h: number[]) => h[h.length - 1]!;
      // float32 learns: the loss drops to well under half.
      expect(last(float32)).toBeLessThan(0.5 * float32[0]!);
      // float16 without scaling: every gradient underflows, the loss never moves.
      expect(plain.every((l) => l === plain[0])).toBe(true);
      expect(last(plain)).toBeGreaterThan(2 * last(float32));
      // float16 with loss scaling: within 2% of float32 after the same epochs.
      expect(Math.abs(last(scaled) - last(float32)) / last(float32)).toBeLessThan(0.02);
      expect(opt.lossScale).toBeGreaterThan(opt.options.initialScale);
      tf.dispose([x, y]);
    });
  });
});
