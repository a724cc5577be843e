import * as tf from '@tensorflow/tfjs';
import {type NativeDispatch, setNativeDispatch} from '@tfjs-amp/kernels';
import {applyPolicy, describePolicy} from '@tfjs-amp/policy';
import {NativeOpSpy, describeBackends, expectNoLeaks} from '@tfjs-amp/test-utils';
import {afterAll, beforeAll, expect, it} from 'vitest';
import {BroadcastLayerNormalization} from './broadcast-layer-normalization.js';
import {MAJORITY_LENGTH, MAJORITY_VOCABULARY, majorityToken} from './majority-token.js';
import {MultiHeadSelfAttention} from './multi-head-self-attention.js';
import {buildTransformer} from './transformer.js';

/** Plain-JS multi-head self-attention on nested arrays: the definition, one head at a time. */
function referenceAttention(
  x: number[][][],
  [wq, bq, wk, bk, wv, bv, wo, bo]: number[][][],
  heads: number,
): number[][][] {
  const width = x[0]![0]!.length;
  const hw = width / heads;
  const project = (row: number[], w: number[][], b: number[][]) =>
    b[0]!.map((bias, j) => row.reduce((s, v, i) => s + v * w[i]![j]!, bias));
  return x.map((seq) => {
    const q = seq.map((r) => project(r, wq!, bq!));
    const k = seq.map((r) => project(r, wk!, bk!));
    const v = seq.map((r) => project(r, wv!, bv!));
    const merged = seq.map(() => new Array<number>(width).fill(0));
    for (let h = 0; h < heads; h++) {
      const cols = Array.from({length: hw}, (_, c) => h * hw + c);
      for (let t = 0; t < seq.length; t++) {
        const scores = k.map(
          (kr) => cols.reduce((s, c) => s + q[t]![c]! * kr[c]!, 0) / Math.sqrt(hw),
        );
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const total = e.reduce((a, b) => a + b, 0);
        for (const c of cols) merged[t]![c] = e.reduce((s, p, u) => s + (p / total) * v[u]![c]!, 0);
      }
    }
    return merged.map((r) => project(r, wo!, bo!));
  });
}

it('MultiHeadSelfAttention refuses a bad numHeads and a width it does not divide, naming them', () => {
  expect(() => new MultiHeadSelfAttention({numHeads: 0})).toThrow(RangeError);
  expect(() => new MultiHeadSelfAttention({numHeads: 1.5})).toThrow(/numHeads .* got 1.5/);
  const layer = new MultiHeadSelfAttention({numHeads: 3});
  expect(() => layer.apply(tf.input({shape: [5, 8]}))).toThrow(/width 8 .* numHeads 3/);
});

it('the majority-token data labels each sequence with its unique most frequent token', () => {
  const data = majorityToken({trainSize: 300, testSize: 50, seed: 5});
  const x = data.xTrain.arraySync() as number[][];
  const labels = data.yTrain.argMax(1).arraySync() as number[];
  const seen = new Set<number>();
  for (const [i, row] of x.entries()) {
    expect(row.length).toBe(MAJORITY_LENGTH);
    const counts = new Array<number>(MAJORITY_VOCABULARY).fill(0);
    for (const t of row) counts[t]!++;
    const best = Math.max(...counts);
    expect(counts.filter((c) => c === best).length).toBe(1);
    expect(counts[labels[i]!]).toBe(best);
    seen.add(labels[i]!);
  }
  expect(seen.size).toBe(MAJORITY_VOCABULARY);
  const again = majorityToken({trainSize: 300, testSize: 50, seed: 5});
  expect(again.xTest.arraySync()).toEqual(data.xTest.arraySync());
  tf.dispose([data.xTrain, data.yTrain, data.xTest, data.yTest]);
  tf.dispose([again.xTrain, again.yTrain, again.xTest, again.yTest]);
});

describeBackends(['wasm', 'cpu'], (backend) => {
  it(`MultiHeadSelfAttention computes softmax(QKᵀ/√d)V per head on ${backend}`, async () => {
    await expectNoLeaks(() => {
      const layer = new MultiHeadSelfAttention({numHeads: 2, seed: 3});
      const x = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 11);
      tf.dispose(layer.apply(x) as tf.Tensor); // builds
      const weights = layer
        .getWeights()
        .map((w, i) => tf.randomNormal(w.shape, 0, 0.5, 'float32', 20 + i));
      layer.setWeights(weights);
      const out = layer.apply(x) as tf.Tensor;
      const nested = weights.map((w) =>
        w.rank === 1 ? [w.arraySync() as number[]] : (w.arraySync() as number[][]),
      );
      const expected = referenceAttention(x.arraySync() as number[][][], nested, 2).flat(2);
      const actual = Array.from(out.dataSync());
      for (const [i, e] of expected.entries())
        expect(Math.abs(actual[i]! - e)).toBeLessThan(1e-4 * (1 + Math.abs(e)));
      tf.dispose([x, out, ...weights]);
      layer.dispose();
    });
  });

  it(`BroadcastLayerNormalization gives the stock layer's values and gradients on ${backend}`, async () => {
    await expectNoLeaks(() => {
      const x = tf.randomNormal([3, 5, 6], 1, 2, 'float32', 1);
      const ours = new BroadcastLayerNormalization({epsilon: 1e-6});
      const stock = tf.layers.layerNormalization({epsilon: 1e-6});
      expect(ours.getClassName()).toBe('LayerNormalization');
      tf.dispose([ours.apply(x) as tf.Tensor, stock.apply(x) as tf.Tensor]); // builds
      const params = [
        tf.randomNormal([6], 1, 0.5, 'float32', 2),
        tf.randomNormal([6], 0, 0.5, 'float32', 3),
      ];
      ours.setWeights(params);
      stock.setWeights(params);
      const dy = tf.randomNormal([3, 5, 6], 0, 1, 'float32', 4);
      const grads = (layer: tf.layers.Layer) =>
        tf.grads((input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input) as tf.Tensor, dy)))([x]);
      const a = [ours.apply(x) as tf.Tensor, ...grads(ours)];
      const b = [stock.apply(x) as tf.Tensor, ...grads(stock)];
      for (const [i, t] of a.entries()) {
        const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(t, b[i]!))).dataSync()[0]!);
        expect(diff, `output ${i}`).toBeLessThan(1e-4);
      }
      tf.dispose([x, dy, ...params, ...a, ...b]);
      ours.dispose();
      stock.dispose();
    });
  });
});

it('serializes: the transformer reloads from JSON with the same predictions', async () => {
  await expectNoLeaks(async () => {
    const model = buildTransformer(1);
    const copy = await tf.models.modelFromJSON(
      JSON.parse(JSON.stringify(model.toJSON(null, false))),
    );
    copy.setWeights(model.getWeights());
    const x = tf.tensor2d([
      Array.from({length: MAJORITY_LENGTH}, (_, i) => i % MAJORITY_VOCABULARY),
    ]);
    const a = model.predict(x) as tf.Tensor;
    const b = copy.predict(x) as tf.Tensor;
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
    expect(diff).toBeLessThan(1e-6);
    tf.dispose([x, a, b]);
    model.dispose();
    copy.dispose();
  });
});

it('@tfjs-amp/policy covers the custom attention layer: rounded output, listed by describePolicy', async () => {
  const input = tf.input({shape: [4, 8]});
  const output = new MultiHeadSelfAttention({numHeads: 2, seed: 1}).apply(
    input,
  ) as tf.SymbolicTensor;
  const model = tf.model({inputs: input, outputs: output});
  applyPolicy(model, 'mixed_bfloat16');
  const row = describePolicy(model).find((r) => r.className === 'MultiHeadSelfAttention')!;
  expect(row.computeFormat).toBe('bfloat16');
  expect(row.execution).toBe('emulated'); // no native kernels on this backend
  const x = tf.randomNormal([2, 4, 8], 0, 1, 'float32', 9);
  const y = model.predict(x) as tf.Tensor;
  // bfloat16 values are float32 with the low 16 bits zero.
  const bits = new Uint32Array(y.dataSync().slice().buffer);
  expect(bits.every((b) => (b & 0xffff) === 0)).toBe(true);
  tf.dispose([x, y]);
  model.dispose();
});

/** TF_DataType code of bfloat16. */
const TF_BFLOAT16 = 14;

describeBackends(['tensorflow'], () => {
  // Native wherever the kernels sum in float32, whatever this CPU's speed (`auto` would emulate
  // bfloat16 on CPUs without bfloat16 units).
  let previous: NativeDispatch;
  beforeAll(() => {
    previous = setNativeDispatch('accurate');
  });
  afterAll(() => {
    setNativeDispatch(previous);
  });

  it('runs the attention layer matrix products natively in bfloat16 on tfjs-node', async () => {
    const input = tf.input({shape: [4, 8]});
    const output = new MultiHeadSelfAttention({numHeads: 2, seed: 1}).apply(
      input,
    ) as tf.SymbolicTensor;
    const model = applyPolicy(tf.model({inputs: input, outputs: output}), 'mixed_bfloat16');
    const x = tf.randomNormal([2, 4, 8], 0, 1, 'float32', 3);
    const optimizer = tf.train.sgd(0.1);
    const step = () =>
      optimizer.minimize(() => tf.sum(model.apply(x, {training: true}) as tf.Tensor) as tf.Scalar);
    step(); // native handles for inputs and variables come on first use
    const spy = new NativeOpSpy();
    try {
      await expectNoLeaks(() => step());
    } finally {
      spy.restore();
    }
    const products = spy.records
      .filter((r) => r.op === 'MatMul' || r.op.startsWith('BatchMatMul'))
      .map((r) => r.dtype);
    // Forward: four projections and two attention products; backward: two per product whose
    // operands need gradients (the input of the first projections does not). (Products of
    // matrices run as TF's MatMul, batched ones as BatchMatMulV2.)
    expect(products.length).toBeGreaterThanOrEqual(12);
    expect(products.every((t) => t === TF_BFLOAT16)).toBe(true);
    x.dispose();
    optimizer.dispose();
    model.dispose();
  });
});
