import * as tf from '@tensorflow/tfjs';
import {roundArray} from '@tfjs-amp/kernels';
import {describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {afterEach, describe, expect, it} from 'vitest';
import {
  ScaleShift,
  expectWeightsBitsEqual,
  q,
  referenceCall,
  referenceRnn,
  values,
  weightValues,
} from '../test/support.js';
import {applyPolicy, policyOf, policyRootOf, removePolicy} from './apply-policy.js';
import {setGlobalPolicy} from './global-policy.js';
import {Policy} from './policy.js';

type Layer = tf.layers.Layer;

function bits(t: tf.Tensor): Float32Array {
  return Float32Array.from(t.dataSync() as Float32Array);
}

/**
 * The three promises for one model: under mixed_float16 the output equals `reference` (built by
 * hand at the cast points, on the uninstrumented model) bit for bit; the variables are untouched;
 * removePolicy brings back the float32 output bit for bit. Also checks for leaked tensors.
 */
async function checkModel<M extends Layer>(
  model: M,
  x: tf.Tensor,
  reference: (m: M) => tf.Tensor,
  kwargs: Record<string, unknown> = {},
): Promise<{float32: Float32Array; mixed: Float32Array}> {
  const run = (): Float32Array => {
    const y = model.apply(x, kwargs) as tf.Tensor;
    const out = bits(y);
    y.dispose();
    return out;
  };
  return expectNoLeaks(() => {
    const float32 = run();
    const weightsBefore = weightValues(model);
    applyPolicy(model, 'mixed_float16');
    const mixed = run();
    expectWeightsBitsEqual(weightValues(model), weightsBefore);
    removePolicy(model);
    expectBitsEqual(run(), float32, 'float32 output after removePolicy');
    const ref = reference(model);
    expectBitsEqual(mixed, bits(ref), 'mixed_float16 output vs reference');
    ref.dispose();
    expectWeightsBitsEqual(weightValues(model), weightsBefore);
    return {float32, mixed};
  });
}

/** Whether `a` holds a value float16 cannot represent (so the test exercises rounding at all). */
function hasNonHalfValues(a: Float32Array): boolean {
  const out = roundArray(a, 'float16');
  return a.some((v, i) => v !== out[i]);
}

afterEach(() => setGlobalPolicy('float32'));

describeBackends(['cpu', 'wasm'], () => {
  describe('applyPolicy cast points', () => {
    it('rounds Dense inputs, weights and outputs to float16 (hand-computed)', async () => {
      await expectNoLeaks(() => {
        const dense = tf.layers.dense({units: 3, inputShape: [2], kernelInitializer: 'zeros'});
        const model = tf.sequential({layers: [dense]});
        // x0 = 2049 rounds to 2048 (a tie, to even); W[1][0] = 0.1 rounds to 0.0999755859375,
        // W[1][1] = 1/3 to 0.333251953125.
        const weights = [
          tf.tensor2d([
            [1, 0, 1],
            [0.1, 1 / 3, 1],
          ]),
          tf.zeros([3]),
        ];
        dense.setWeights(weights);
        tf.dispose(weights);
        const x = tf.tensor2d([[2049, 1]]);
        applyPolicy(model, 'mixed_float16');
        const y = model.predict(x) as tf.Tensor;
        // unit 0: 2048·1 + 1·0.0999755859375 = 2048.09998 → float16 2048 (spacing 2 there)
        // unit 1: 2048·0 + 1·0.333251953125 = 0.333251953125 (already a float16)
        // unit 2: 2048 + 1 = 2049 → float16 2048 (tie, to even); float32 would give 2050
        expectBitsEqual(bits(y), [2048, 0.333251953125, 2048]);
        removePolicy(model);
        const y32 = model.predict(x) as tf.Tensor;
        expectBitsEqual(bits(y32), new Float32Array([2049 + Math.fround(0.1), 1 / 3, 2050]));
        tf.dispose([x, y, y32]);
        model.dispose();
      });
    });

    it('matches the reference for Dense with relu', async () => {
      const model = tf.sequential({
        layers: [tf.layers.dense({units: 16, activation: 'relu', inputShape: [24]})],
      });
      const x = values([5, 24], 11);
      const {mixed, float32} = await checkModel(model, x, (m) => referenceCall(m.layers[0]!, x));
      expect(hasNonHalfValues(float32)).toBe(true);
      expect(hasNonHalfValues(mixed)).toBe(false);
      x.dispose();
      model.dispose();
    });

    it('matches the reference for Conv2D → MaxPooling2D → Flatten → Dense (forward)', async () => {
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({filters: 4, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 2]}),
          tf.layers.maxPooling2d({poolSize: 2}),
          tf.layers.flatten(),
          tf.layers.dense({units: 3}),
        ],
      });
      const x = values([2, 8, 8, 2], 12);
      await checkModel(model, x, (m) =>
        tf.tidy(() => {
          let h = referenceCall(m.layers[0]!, x);
          for (const layer of m.layers.slice(1)) h = referenceCall(layer, h);
          return h;
        }),
      );
      x.dispose();
      model.dispose();
    });

    it('matches the per-timestep reference for LSTM (cell inputs, states and outputs rounded)', async () => {
      const model = tf.sequential({layers: [tf.layers.lstm({units: 5, inputShape: [4, 3]})]});
      const x = values([2, 4, 3], 13) as tf.Tensor3D;
      await checkModel(model, x, (m) => referenceRnn(m.layers[0]!, x));
      x.dispose();
      model.dispose();
    });

    it('matches the per-timestep reference for GRU', async () => {
      const model = tf.sequential({layers: [tf.layers.gru({units: 4, inputShape: [5, 3]})]});
      const x = values([3, 5, 3], 14) as tf.Tensor3D;
      await checkModel(model, x, (m) => referenceRnn(m.layers[0]!, x));
      x.dispose();
      model.dispose();
    });

    it('matches the reference for Bidirectional(LSTM): both directions per timestep', async () => {
      const model = tf.sequential({
        layers: [
          tf.layers.bidirectional({
            layer: tf.layers.lstm({units: 3}) as tf.RNN,
            inputShape: [4, 2],
            mergeMode: 'concat',
          }),
        ],
      });
      const x = values([2, 4, 2], 15) as tf.Tensor3D;
      await checkModel(model, x, (m) => {
        const bi = m.layers[0] as unknown as {forwardLayer: Layer; backwardLayer: Layer};
        return tf.tidy(() =>
          tf.concat(
            [referenceRnn(bi.forwardLayer, x), referenceRnn(bi.backwardLayer, x, 'float16', true)],
            -1,
          ),
        );
      });
      x.dispose();
      model.dispose();
    });

    it('matches the reference for TimeDistributed(Dense): the inner layer at every timestep', async () => {
      const inner = tf.layers.dense({units: 3, activation: 'tanh'});
      const model = tf.sequential({
        layers: [tf.layers.timeDistributed({layer: inner, inputShape: [4, 5]})],
      });
      const x = values([2, 4, 5], 16);
      await checkModel(model, x, () =>
        tf.tidy(() => {
          const flat = x.reshape([8, 5]);
          return referenceCall(inner, flat).reshape([2, 4, 3]);
        }),
      );
      x.dispose();
      model.dispose();
    });

    it('leaves Embedding indices unrounded and rounds the gathered rows', async () => {
      const model = tf.sequential({
        layers: [tf.layers.embedding({inputDim: 5000, outputDim: 3, inputLength: 4})],
      });
      // Odd indices above 2048 are not float16 values: rounding them would pick another row.
      const x = tf.tensor2d([[3001, 4095, 7, 2049]]);
      await checkModel(model, x, (m) =>
        referenceCall(m.layers[0]!, x, 'float16', {}, {roundInputs: false}),
      );
      x.dispose();
      model.dispose();
    });

    it('keeps BatchNormalization in float32: no cast point, the next layer rounds its output', async () => {
      const model = tf.sequential({
        layers: [
          tf.layers.dense({units: 6, inputShape: [5]}),
          tf.layers.batchNormalization({
            movingMeanInitializer: tf.initializers.constant({value: 0.3}),
            movingVarianceInitializer: tf.initializers.constant({value: 1.7}),
            gammaInitializer: tf.initializers.constant({value: 1.1}),
          }),
          tf.layers.dense({units: 4}),
        ],
      });
      const x = values([3, 5], 17);
      await checkModel(model, x, (m) =>
        tf.tidy(() => {
          const h = referenceCall(m.layers[0]!, x);
          const bn = m.layers[1]!.apply(h, {training: false}) as tf.Tensor;
          return referenceCall(m.layers[2]!, bn);
        }),
      );
      x.dispose();
      model.dispose();
    });

    it('rounds around Dropout in training (same seeded mask) and in inference', async () => {
      // A layer on its own: nested models pass their build-time kwargs, not `training`.
      const dropout = tf.layers.dropout({rate: 0.3, seed: 7});
      const x = values([4, 40], 18);
      const {mixed} = await checkModel(
        dropout,
        x,
        (l) => referenceCall(l, x, 'float16', {training: true}),
        {training: true},
      );
      expect(mixed.filter((v) => v === 0).length).toBeGreaterThan(20);
      await checkModel(dropout, x, (l) => referenceCall(l, x));
      x.dispose();
    });

    it('instruments the layers of a Sequential nested in a functional model', async () => {
      const input = tf.input({shape: [6]});
      const first = tf.layers.dense({units: 8, activation: 'relu'});
      const inner = tf.sequential({
        layers: [
          tf.layers.dense({units: 7, activation: 'sigmoid', inputShape: [8]}),
          tf.layers.dense({units: 5}),
        ],
      });
      const last = tf.layers.dense({units: 3});
      const output = last.apply(
        inner.apply(first.apply(input) as tf.SymbolicTensor) as tf.SymbolicTensor,
      ) as tf.SymbolicTensor;
      const model = tf.model({inputs: input, outputs: output});
      const x = values([4, 6], 19);
      await checkModel(model, x, () =>
        tf.tidy(() => {
          let h = referenceCall(first, x);
          h = referenceCall(inner.layers[0]!, h);
          h = referenceCall(inner.layers[1]!, h);
          return referenceCall(last, h);
        }),
      );
      x.dispose();
      model.dispose();
    });

    it('rounds a custom layer computed by hand: q(tanh(q(x)·q(scale) + q(shift)))', async () => {
      const custom = new ScaleShift({inputShape: [9]});
      const model = tf.sequential({layers: [custom]});
      const x = values([3, 9], 20);
      await checkModel(model, x, (m) =>
        tf.tidy(() => {
          const [scale, shift] = m.layers[0]!.weights.map((w) => q(w.read()));
          return q(tf.tanh(tf.add(tf.mul(q(x), scale!), shift!)));
        }),
      );
      x.dispose();
      model.dispose();
    });
  });

  describe('applyPolicy', () => {
    function mlp(): tf.Sequential {
      return tf.sequential({
        layers: [
          tf.layers.dense({units: 8, activation: 'relu', inputShape: [6], name: 'hidden'}),
          tf.layers.dense({units: 4, activation: 'softmax', name: 'probs'}),
        ],
      });
    }

    it('is a no-op when applied twice: outputs and patched calls stay the same', async () => {
      await expectNoLeaks(() => {
        const model = mlp();
        const x = values([3, 6], 21);
        applyPolicy(model, 'mixed_float16');
        const call = model.layers[0]!.call;
        const once = model.predict(x) as tf.Tensor;
        applyPolicy(model, new Policy('mixed_float16'));
        expect(model.layers[0]!.call).toBe(call);
        const twice = model.predict(x) as tf.Tensor;
        expectBitsEqual(bits(twice), bits(once));
        removePolicy(model);
        expect(Object.hasOwn(model.layers[0]!, 'call')).toBe(false);
        tf.dispose([x, once, twice]);
        model.dispose();
      });
    });

    it('replaces a different policy cleanly', async () => {
      await expectNoLeaks(() => {
        const model = mlp();
        const x = values([3, 6], 22);
        applyPolicy(model, 'mixed_bfloat16');
        const bf = model.predict(x) as tf.Tensor;
        applyPolicy(model, 'mixed_float16');
        const half = model.predict(x) as tf.Tensor;
        removePolicy(model);
        applyPolicy(model, 'mixed_float16');
        const halfFresh = model.predict(x) as tf.Tensor;
        expectBitsEqual(bits(half), bits(halfFresh));
        expect(bits(half)).not.toEqual(bits(bf));
        removePolicy(model);
        tf.dispose([x, bf, half, halfFresh]);
        model.dispose();
      });
    });

    it('keeps the softmax output in float32 but rounds its inputs and weights', async () => {
      await expectNoLeaks(() => {
        const model = mlp();
        const x = values([3, 6], 23);
        applyPolicy(model, 'mixed_float16');
        const y = model.predict(x) as tf.Tensor;
        removePolicy(model);
        const ref = tf.tidy(() => {
          const h = referenceCall(model.layers[0]!, x);
          return referenceCall(model.layers[1]!, h, 'float16', {}, {roundOutputs: false});
        });
        expectBitsEqual(bits(y), bits(ref));
        expect(hasNonHalfValues(bits(y))).toBe(true);
        tf.dispose([x, y, ref]);
        model.dispose();
      });
    });

    it('uses the global policy by default', () => {
      const model = mlp();
      setGlobalPolicy('mixed_bfloat16');
      applyPolicy(model);
      expect(policyOf(model.layers[0]!)?.name).toBe('mixed_bfloat16');
      removePolicy(model);
      model.dispose();
    });

    it('applies overrides by layer name and by nested model name', () => {
      const inner = tf.sequential({
        name: 'encoder',
        layers: [tf.layers.dense({units: 4, inputShape: [3], name: 'enc_dense'})],
      });
      const input = tf.input({shape: [3]});
      const head = tf.layers.dense({units: 2, name: 'head'});
      const model = tf.model({
        inputs: input,
        outputs: head.apply(inner.apply(input) as tf.SymbolicTensor) as tf.SymbolicTensor,
      });
      applyPolicy(model, 'mixed_float16', {
        overrides: {encoder: 'mixed_bfloat16', head: 'float32'},
      });
      expect(policyOf(inner.layers[0]!)?.name).toBe('mixed_bfloat16');
      expect(policyOf(head)?.name).toBe('float32');
      expect(Object.hasOwn(head, 'call')).toBe(false);
      removePolicy(model);
      model.dispose();
    });

    it('builds new symbolic graphs on instrumented layers (apply on SymbolicTensors)', async () => {
      await expectNoLeaks(() => {
        const dense = tf.layers.dense({units: 3, inputShape: [4]});
        const model = tf.sequential({layers: [dense]});
        applyPolicy(model, 'mixed_float16');
        const input = tf.input({shape: [4]});
        const out = dense.apply(input) as tf.SymbolicTensor;
        expect(out.shape).toEqual([null, 3]);
        const reused = tf.model({inputs: input, outputs: out});
        const x = values([2, 4], 24);
        const a = reused.predict(x) as tf.Tensor;
        const b = model.predict(x) as tf.Tensor;
        expectBitsEqual(bits(a), bits(b));
        removePolicy(model);
        tf.dispose([x, a, b]);
        model.dispose();
        reused.dispose(); // the dense layer is shared: its weights go with the last model
      });
    });

    it('rejects an unknown policy, an unknown override and an unknown keepFloat32 entry, changing nothing', () => {
      const model = mlp();
      expect(() => applyPolicy(model, 'mixed_float61' as 'float32')).toThrow(
        "applyPolicy: unknown policy name 'mixed_float61'. Allowed: bfloat16, float16, float32,",
      );
      expect(() => applyPolicy(model, 'mixed_float16', {overrides: {hiden: 'float32'}})).toThrow(
        "applyPolicy: options.overrides names no layer of this model: 'hiden'. Layers: ",
      );
      expect(() =>
        applyPolicy(model, 'mixed_float16', {overrides: {hidden: 'half' as 'float32'}}),
      ).toThrow("applyPolicy: unknown options.overrides['hidden'] name 'half'.");
      expect(() => applyPolicy(model, 'mixed_float16', {keepFloat32: ['BatchNorm']})).toThrow(
        "applyPolicy: unknown options.keepFloat32 entry 'BatchNorm'.",
      );
      expect(() => applyPolicy({} as Layer, 'mixed_float16')).toThrow(
        'applyPolicy: model must be a tfjs LayersModel or Layer; got object.',
      );
      expect(policyOf(model.layers[0]!)).toBeNull();
      expect(Object.hasOwn(model.layers[0]!, 'call')).toBe(false);
      expect(model.getUserDefinedMetadata()).toBeUndefined();
      model.dispose();
    });

    it('refuses to instrument a layer already instrumented through another model', () => {
      const inner = tf.sequential({
        name: 'inner_model',
        layers: [tf.layers.dense({units: 2, inputShape: [3]})],
      });
      const outer = tf.sequential({layers: [inner]});
      applyPolicy(inner, 'mixed_float16');
      expect(() => applyPolicy(outer, 'mixed_float16')).toThrow(
        /already instrumented through model 'inner_model'; call removePolicy on 'inner_model' first/,
      );
      expect(() => removePolicy(inner.layers[0]!)).toThrow(
        /was instrumented through model 'inner_model'/,
      );
      removePolicy(inner);
      applyPolicy(outer, 'mixed_float16');
      expect(policyOf(inner.layers[0]!)?.name).toBe('mixed_float16');
      removePolicy(outer);
      outer.dispose();
    });

    it('rounds variables now and on every assignment under a pure policy, and undoes it', async () => {
      await expectNoLeaks(() => {
        const model = mlp();
        const before = weightValues(model);
        applyPolicy(model, 'float16');
        const rounded = weightValues(model);
        expect(rounded.every((w) => !hasNonHalfValues(w))).toBe(true);
        expect(before.some(hasNonHalfValues)).toBe(true);
        removePolicy(model);
        expectWeightsBitsEqual(weightValues(model), before);

        applyPolicy(model, 'bfloat16');
        const kernel = model.layers[0]!.weights[0]!;
        const update = tf.fill(kernel.shape as number[], 1 / 3);
        kernel.write(update);
        const written = kernel.read().dataSync()[0]!;
        expect(written).toBe(0.333984375); // 1/3 in bfloat16
        removePolicy(model);
        expect(kernel.read().dataSync()[0]).toBe(0.333984375); // trained values are kept
        update.dispose();
        model.dispose();
      });
    });
  });
});

describe('policyOf', () => {
  it('reports the effective policy: kept layers float32, others the model policy, none before applying', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({units: 4, inputShape: [3]}),
        tf.layers.layerNormalization(),
        tf.layers.dense({units: 2, activation: 'softmax'}),
      ],
    });
    expect(policyOf(model.layers[0]!)).toBeNull();
    applyPolicy(model, 'mixed_float16');
    expect(policyOf(model)?.name).toBe('mixed_float16');
    expect(policyOf(model.layers[0]!)?.name).toBe('mixed_float16');
    expect(policyOf(model.layers[1]!)?.name).toBe('float32');
    expect(policyOf(model.layers[2]!)?.name).toBe('mixed_float16');
    removePolicy(model);
    expect(policyOf(model.layers[0]!)).toBeNull();
    model.dispose();
  });
});

describe('policyRootOf', () => {
  it('finds the model the policy was applied to, from itself, a layer, or the inner model a Sequential trains', () => {
    const model = tf.sequential({
      layers: [tf.layers.dense({units: 3, inputShape: [2]}), tf.layers.dense({units: 1})],
    });
    expect(policyRootOf(model)).toBeNull();
    applyPolicy(model, 'mixed_float16');
    expect(policyRootOf(model)).toBe(model);
    expect(policyRootOf(model.layers[1]!)).toBe(model);
    // tf.Sequential.fit trains (and hands callbacks) this inner LayersModel, built on compile.
    model.compile({optimizer: 'sgd', loss: 'meanSquaredError'});
    const inner = (model as unknown as {model: tf.LayersModel}).model;
    expect(inner).not.toBe(model);
    expect(policyRootOf(inner)).toBe(model);
    removePolicy(model);
    expect(policyRootOf(inner)).toBeNull();
    model.dispose();
  });
});
