// Cast once on tfjs-node: how many Cast ops a mixed step adds over float32, and that the cast
// cache (16-bit handles kept beside live float32 tensors) does not grow over many steps.
import * as tf from '@tensorflow/tfjs';
import {type NativeDispatch, nativeMemory, setNativeDispatch} from '@tfjs-amp/kernels';
import {NativeOpSpy, describeBackends, expectNoLeaks} from '@tfjs-amp/test-utils';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {applyPolicy, describePolicy} from '../src/index.js';

/** Counts the ops tfjs-node executes while `body` runs, by name. */
async function countOps(body: () => Promise<unknown>): Promise<Map<string, number>> {
  const spy = new NativeOpSpy();
  try {
    await body();
  } finally {
    spy.restore();
  }
  const counts = new Map<string, number>();
  for (const op of spy.ops) counts.set(op, (counts.get(op) ?? 0) + 1);
  return counts;
}

/** W1's structure (MLP 784-1024-1024-10, relu, softmax) at a test's size: counts do not depend on it. */
function w1Like(): tf.Sequential {
  const init = (seed: number) => tf.initializers.glorotUniform({seed});
  return tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [24],
        units: 32,
        activation: 'relu',
        kernelInitializer: init(1),
      }),
      tf.layers.dense({units: 32, activation: 'relu', kernelInitializer: init(2)}),
      tf.layers.dense({units: 10, activation: 'softmax', kernelInitializer: init(3)}),
    ],
  });
}

describeBackends(['tensorflow'], () => {
  let previousDispatch: NativeDispatch;
  let xs: tf.Tensor;
  let ys: tf.Tensor;
  beforeAll(() => {
    // Native wherever the kernels sum in float32, on any CPU (the counts must hold on every one).
    previousDispatch = setNativeDispatch('accurate');
    xs = tf.randomNormal([64, 24], 0, 1, 'float32', 1);
    ys = tf.oneHot(tf.randomUniform([64], 0, 10, 'int32', 2), 10).toFloat();
  });
  afterAll(() => {
    tf.dispose([xs, ys]);
    setNativeDispatch(previousDispatch);
  });

  /** Cast ops per step of one epoch of 4 steps of Adam fit, after a warm-up epoch. */
  async function castsPerStep(policy: 'float32' | 'mixed_bfloat16'): Promise<number> {
    const model = w1Like();
    if (policy !== 'float32') applyPolicy(model, policy);
    model.compile({optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy'});
    const fit = () => model.fit(xs, ys, {epochs: 1, batchSize: 16, shuffle: false, verbose: 0});
    await fit();
    const counts = await countOps(fit);
    if (policy !== 'float32') {
      expect(describePolicy(model).map((r) => r.execution)).toEqual(['native', 'native', 'native']);
    }
    model.dispose();
    return (counts.get('Cast') ?? 0) / 4;
  }

  describe('cast once', () => {
    it('adds at most 16 Cast ops per W1-shaped mixed_bfloat16 step over float32 (58 before)', async () => {
      const float32 = await castsPerStep('float32');
      const mixed = await castsPerStep('mixed_bfloat16');
      // Forward: the input data once, then per Dense layer its kernel and bias once each and
      // its output (product + bias + relu, all in the format) once back to float32: 1 + 3 × 3.
      // Backward, per layer: the incoming gradient once, shared by both products, and each
      // product once back (3 + 3 + 2: the input data's gradient is not computed). Nothing is
      // cast twice: native kernels read through the cast cache, their outputs count as rounded,
      // reshapes keep both. 18 casts, less 2 of float32's own no-op casts mixed does not run.
      console.log(`Cast ops per step: float32 ${float32}, mixed_bfloat16 ${mixed}`);
      expect(mixed - float32).toBeLessThanOrEqual(16);
    });

    it('keeps no more native handles after 1000 mixed steps than after 100', async () => {
      const model = w1Like();
      applyPolicy(model, 'mixed_bfloat16');
      model.compile({optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy'});
      const x = xs.slice([0, 0], [16, 24]);
      const y = ys.slice([0, 0], [16, 10]);
      const handles = () =>
        (tf.backend() as unknown as {getNumOfTFTensors(): number}).getNumOfTFTensors();
      const steps = async (n: number) => {
        for (let i = 0; i < n; i++) await model.trainOnBatch(x, y);
      };
      await steps(100);
      const after100 = {handles: handles(), cache: nativeMemory()};
      await expectNoLeaks(() => steps(900));
      const after1000 = {handles: handles(), cache: nativeMemory()};
      expect(after1000.handles).toBe(after100.handles);
      // No 16-bit copy outlives its tensor: activations go with the step's tensors, the weights'
      // copies with the values the optimizer replaced. What stays is the copy of the input batch
      // x, which lives across these steps (and is reused by each, as it is unchanged).
      expect(after100.cache).toMatchObject({handles: 1, bytes: 2 * x.size});
      expect(after1000.cache).toMatchObject({handles: 1, bytes: 2 * x.size});
      tf.dispose([x, y]);
      model.dispose();
    });
  });
});
