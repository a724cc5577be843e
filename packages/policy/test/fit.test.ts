// Training with plain tfjs APIs on a policy-instrumented model.
import * as tf from '@tensorflow/tfjs';
import {roundArray} from '@tfjs-amp/kernels';
import {describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {applyPolicy, describePolicy, removePolicy} from '../src/index.js';
import {expectWeightsBitsEqual, q, values, weightValues} from './support.js';

function isHalf(a: Float32Array): boolean {
  const r = roundArray(a, 'float16');
  return a.every((v, i) => Object.is(v, r[i]) || (Number.isNaN(v) && Number.isNaN(r[i]!)));
}

/** SGD step expected by hand: W - lr·∇W, with ∇ from `loss` written with `q` at the cast points. */
function handStep(
  weights: tf.Tensor[],
  lr: number,
  loss: (w: tf.Tensor[]) => tf.Scalar,
): Float32Array[] {
  return tf.tidy(() => {
    const vars = weights.map((w) => tf.variable(w.clone()));
    const {grads} = tf.variableGrads(() => loss(vars), vars);
    const next = vars.map((v) =>
      Float32Array.from(tf.sub(v, tf.mul(grads[v.name]!, lr)).dataSync()),
    );
    for (const v of vars) v.dispose();
    return next;
  });
}

describeBackends(['cpu', 'wasm'], () => {
  describe('applyPolicy with model training', () => {
    it('takes the SGD step a hand-made mixed_float16 computation takes, bit for bit', async () => {
      const model = tf.sequential({
        layers: [
          tf.layers.dense({units: 5, activation: 'relu', inputShape: [4]}),
          tf.layers.dense({units: 3}),
        ],
      });
      const x = values([6, 4], 3);
      const y = values([6, 3], 4);
      const expected = handStep(model.getWeights(), 0.5, ([w1, b1, w2, b2]) => {
        const h = q(tf.relu(tf.add(tf.matMul(q(x), q(w1!)), q(b1!))));
        const out = q(tf.add(tf.matMul(h, q(w2!)), q(b2!)));
        return tf.losses.meanSquaredError(y, out) as tf.Scalar;
      });
      applyPolicy(model, 'mixed_float16');
      model.compile({optimizer: tf.train.sgd(0.5), loss: 'meanSquaredError'});
      await expectNoLeaks(() => model.trainOnBatch(x, y));
      expectWeightsBitsEqual(weightValues(model), expected);
      // Master weights: the updated float32 values are not float16 values.
      expect(weightValues(model).some((w) => !isHalf(w))).toBe(true);
      removePolicy(model);
      tf.dispose([x, y]);
      model.dispose();
    });

    it('rounds each consumer gradient and their sum where a tensor feeds two layers', async () => {
      const input = tf.input({shape: [3]});
      const d1 = tf.layers.dense({units: 4, activation: 'relu'});
      const d2 = tf.layers.dense({units: 4});
      const d3 = tf.layers.dense({units: 2});
      const h1 = d1.apply(input) as tf.SymbolicTensor;
      const sum = tf.layers
        .add()
        .apply([h1, d2.apply(h1) as tf.SymbolicTensor]) as tf.SymbolicTensor;
      const model = tf.model({inputs: input, outputs: d3.apply(sum) as tf.SymbolicTensor});
      const x = values([5, 3], 12);
      const y = values([5, 2], 13);
      const expected = handStep(model.getWeights(), 0.25, ([w1, b1, w2, b2, w3, b3]) => {
        const a = q(tf.relu(tf.add(tf.matMul(q(x), q(w1!)), q(b1!))));
        const b = q(tf.add(tf.matMul(q(a), q(w2!)), q(b2!)));
        const s = q(tf.add(q(a), q(b)));
        const out = q(tf.add(tf.matMul(q(s), q(w3!)), q(b3!)));
        return tf.losses.meanSquaredError(y, out) as tf.Scalar;
      });
      applyPolicy(model, 'mixed_float16');
      model.compile({optimizer: tf.train.sgd(0.25), loss: 'meanSquaredError'});
      await expectNoLeaks(() => model.trainOnBatch(x, y));
      expectWeightsBitsEqual(weightValues(model), expected);
      removePolicy(model);
      tf.dispose([x, y]);
      model.dispose();
    });

    it('runs fit, fitDataset, evaluate, predict and trainOnBatch without leaking tensors', async () => {
      const model = tf.sequential({
        layers: [
          // Seeded, and fit below does not shuffle: the loss curve is the same on every run.
          tf.layers.dense({
            units: 16,
            activation: 'relu',
            inputShape: [8],
            kernelInitializer: tf.initializers.glorotUniform({seed: 1}),
          }),
          tf.layers.batchNormalization(),
          tf.layers.dropout({rate: 0.2, seed: 3}),
          tf.layers.dense({
            units: 3,
            activation: 'softmax',
            kernelInitializer: tf.initializers.glorotUniform({seed: 2}),
          }),
        ],
      });
      applyPolicy(model, 'mixed_float16');
      model.compile({
        optimizer: tf.train.sgd(0.2),
        loss: 'categoricalCrossentropy',
        metrics: ['accuracy'],
      });
      const x = values([32, 8], 5);
      const labels = tf.tidy(() => tf.oneHot(tf.argMax(x.slice([0, 0], [-1, 3]), 1), 3).toFloat());
      const options = {batchSize: 8, shuffle: false, verbose: 0} as const;
      await model.fit(x, labels, {...options, epochs: 1}); // warm-up
      const history = await expectNoLeaks(() => model.fit(x, labels, {...options, epochs: 8}));
      const losses = history.history.loss as number[];
      expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);

      const dataset = tf.data
        .zip({xs: tf.data.array(tf.unstack(x)), ys: tf.data.array(tf.unstack(labels))})
        .batch(8);
      await expectNoLeaks(() => model.fitDataset(dataset, {epochs: 2, verbose: 0}));
      await expectNoLeaks(() => {
        const result = model.evaluate(x, labels, {batchSize: 16}) as tf.Scalar[];
        expect(Number.isFinite(result[0]!.dataSync()[0]!)).toBe(true);
        tf.dispose(result);
      });
      await expectNoLeaks(() => {
        const p = model.predict(x) as tf.Tensor;
        expect(p.shape).toEqual([32, 3]);
        p.dispose();
      });
      await expectNoLeaks(() => model.trainOnBatch(x, labels));
      // BatchNormalization stayed float32 and its statistics moved in float32.
      const bn = model.layers[1]!;
      expect(describePolicy(model)[1]!.computeFormat).toBe('float32');
      expect(bn.getWeights().some((w) => !isHalf(w.dataSync() as Float32Array))).toBe(true);
      removePolicy(model);
      tf.dispose([x, labels]);
      model.dispose();
    });

    it('keeps a layer frozen after the policy is applied', async () => {
      const model = tf.sequential({
        layers: [
          tf.layers.dense({units: 6, activation: 'tanh', inputShape: [4]}),
          tf.layers.dense({units: 2}),
        ],
      });
      applyPolicy(model, 'mixed_float16');
      model.layers[0]!.trainable = false;
      model.compile({optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError'});
      const frozen = weightValues(model.layers[0]!);
      const head = weightValues(model.layers[1]!);
      const x = values([8, 4], 6);
      const y = values([8, 2], 7);
      await expectNoLeaks(() => model.fit(x, y, {epochs: 3, batchSize: 4, verbose: 0}));
      expectWeightsBitsEqual(weightValues(model.layers[0]!), frozen);
      expect(weightValues(model.layers[1]!)[0]).not.toEqual(head[0]);
      const p = model.predict(x) as tf.Tensor;
      expect(isHalf(p.dataSync() as Float32Array)).toBe(true);
      removePolicy(model);
      tf.dispose([x, y, p]);
      model.dispose();
    });
  });
});

// tfjs-backend-wasm has no Conv2DBackpropFilter of its own; @tfjs-amp/kernels registers one. Where
// that kernel is missing, Conv2D training is tested on cpu only.
const convTrainingBackends =
  tf.getKernel('Conv2DBackpropFilter', 'wasm') != null
    ? (['cpu', 'wasm'] as const)
    : (['cpu'] as const);
describeBackends(convTrainingBackends, () => {
  describe('applyPolicy with Conv2D training', () => {
    it('takes the hand-made mixed_float16 SGD step for conv → flatten → dense', async () => {
      const conv = tf.layers.conv2d({filters: 3, kernelSize: 3, inputShape: [6, 6, 2]});
      const model = tf.sequential({
        layers: [conv, tf.layers.flatten(), tf.layers.dense({units: 2})],
      });
      const x = values([4, 6, 6, 2], 8);
      const y = values([4, 2], 9);
      const expected = handStep(model.getWeights(), 0.05, ([k, b, w, c]) => {
        const h = q(
          tf.add(tf.conv2d(q(x) as tf.Tensor4D, q(k!) as tf.Tensor4D, 1, 'valid'), q(b!)),
        );
        const flat = q(q(h).reshape([4, -1]));
        const out = q(tf.add(tf.matMul(flat, q(w!)), q(c!)));
        return tf.losses.meanSquaredError(y, out) as tf.Scalar;
      });
      applyPolicy(model, 'mixed_float16');
      model.compile({optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError'});
      await expectNoLeaks(() => model.trainOnBatch(x, y));
      expectWeightsBitsEqual(weightValues(model), expected);
      removePolicy(model);
      tf.dispose([x, y]);
      model.dispose();
    });
  });
});

describe('removePolicy after training', () => {
  it('gives the float32 model back: predictions equal a never-instrumented copy', async () => {
    const build = () =>
      tf.sequential({
        layers: [tf.layers.dense({units: 4, inputShape: [3], kernelInitializer: 'glorotNormal'})],
      });
    const model = build();
    const twin = build();
    twin.setWeights(model.getWeights());
    model.compile({optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError'});
    applyPolicy(model, 'mixed_float16'); // after compile works too: fit builds its step per call
    const x = values([5, 3], 10);
    const y = values([5, 4], 11);
    await model.fit(x, y, {epochs: 2, verbose: 0});
    const mixed = model.predict(x) as tf.Tensor;
    expect(isHalf(mixed.dataSync() as Float32Array)).toBe(true);
    removePolicy(model);
    twin.setWeights(model.getWeights());
    const a = model.predict(x) as tf.Tensor;
    const b = twin.predict(x) as tf.Tensor;
    expectBitsEqual(a.dataSync() as Float32Array, b.dataSync() as Float32Array);
    expect(isHalf(a.dataSync() as Float32Array)).toBe(false);
    tf.dispose([x, y, a, b, mixed]);
    model.dispose();
    twin.dispose();
  });
});
