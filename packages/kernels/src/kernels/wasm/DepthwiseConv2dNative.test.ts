import * as tf from '@tensorflow/tfjs';
import {expectNoLeaks, useBackend} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import '../../index.js';

interface Case {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  dilations: number | [number, number];
  pad: 'same' | 'valid';
}

const CASES: Case[] = [
  {x: [2, 7, 6, 3], filter: [3, 3, 3, 1], strides: 1, dilations: 1, pad: 'same'},
  {x: [1, 9, 8, 2], filter: [3, 2, 2, 3], strides: 2, dilations: 1, pad: 'valid'},
  {x: [2, 8, 8, 4], filter: [3, 3, 4, 2], strides: [2, 1], dilations: 1, pad: 'same'},
  {x: [3, 5, 9, 1], filter: [2, 3, 1, 4], strides: 1, dilations: 1, pad: 'valid'},
];

/** Both gradients of sum(depthwiseConv2d(x, w) · r) on `backend`, for the same input values. */
async function gradients(backend: 'cpu' | 'wasm', c: Case, xv: Float32Array, wv: Float32Array) {
  await useBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(xv, c.x);
    const w = tf.tensor4d(wv, c.filter);
    const f = (xx: tf.Tensor4D, ww: tf.Tensor4D) => {
      const y = tf.depthwiseConv2d(xx, ww, c.strides, c.pad, 'NHWC', c.dilations);
      // A fixed, non-uniform weighting so every output position's gradient differs.
      return tf.mul(y, tf.linspace(-1, 1, y.size).reshape(y.shape)).sum();
    };
    const [dx, dw] = tf.grads(f as (...a: tf.Tensor[]) => tf.Tensor)([x, w]);
    return [dx!.dataSync() as Float32Array, dw!.dataSync() as Float32Array] as const;
  });
}

function expectClose(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < expected.length; i++) {
    // Same products, summed in another order: equal up to float32 rounding of the sum.
    expect(Math.abs(actual[i]! - expected[i]!), `${what}[${i}]`).toBeLessThanOrEqual(
      1e-5 * (scale + 1),
    );
  }
}

describe('wasm DepthwiseConv2dNativeBackpropFilter / BackpropInput', () => {
  for (const c of CASES) {
    it(`match the cpu kernels for x ${c.x} filter ${c.filter} strides ${c.strides} dilations ${c.dilations} ${c.pad}`, async () => {
      await useBackend('cpu');
      const xv = tf.randomNormal(c.x, 0, 1, 'float32', 21).dataSync() as Float32Array;
      const wv = tf.randomNormal(c.filter, 0, 1, 'float32', 22).dataSync() as Float32Array;
      const [cdx, cdw] = await gradients('cpu', c, xv, wv);
      await useBackend('wasm');
      const [wdx, wdw] = await expectNoLeaks(() => gradients('wasm', c, xv, wv));
      expectClose(wdx, cdx, 'dx');
      expectClose(wdw, cdw, 'dW');
    });
  }

  it('let a DepthwiseConv2D layer train with model.fit on wasm', async () => {
    await useBackend('wasm');
    const model = tf.sequential({
      layers: [
        tf.layers.depthwiseConv2d({
          inputShape: [6, 6, 2],
          kernelSize: 3,
          depthMultiplier: 2,
          depthwiseInitializer: tf.initializers.glorotUniform({seed: 1}),
        }),
        tf.layers.flatten(),
        tf.layers.dense({units: 1, kernelInitializer: tf.initializers.glorotUniform({seed: 2})}),
      ],
    });
    model.compile({optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError'});
    const xs = tf.randomNormal([8, 6, 6, 2], 0, 1, 'float32', 3);
    const ys = tf.randomNormal([8, 1], 0, 1, 'float32', 4);
    const before = model.layers[0]!.getWeights()[0]!.dataSync().slice();
    const history = await model.fit(xs, ys, {epochs: 10, batchSize: 4, shuffle: false, verbose: 0});
    expect(model.layers[0]!.getWeights()[0]!.dataSync()).not.toEqual(before);
    const losses = history.history.loss as number[];
    expect(losses[9]!).toBeLessThan(losses[0]!);
    tf.dispose([xs, ys]);
    model.dispose();
  });
});
