import * as tf from '@tensorflow/tfjs';
import {expectNoLeaks, useBackend} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import '../../index.js';

interface Case {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: 'same' | 'valid';
  dataFormat: 'NHWC' | 'NCHW';
}

const CASES: Case[] = [
  {x: [2, 9, 8, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same', dataFormat: 'NHWC'},
  {x: [3, 11, 10, 2], filter: [3, 2, 2, 5], strides: 2, pad: 'valid', dataFormat: 'NHWC'},
  {x: [1, 7, 7, 4], filter: [5, 5, 4, 2], strides: [2, 1], pad: 'same', dataFormat: 'NHWC'},
  {x: [2, 3, 8, 8], filter: [3, 3, 3, 4], strides: 1, pad: 'valid', dataFormat: 'NCHW'},
];

/** The filter gradient on `backend`, from inputs given as plain arrays (same values on both). */
async function filterGrad(
  backend: 'cpu' | 'wasm',
  c: Case,
  xValues: Float32Array,
  dyValues: Float32Array,
) {
  await useBackend(backend);
  const x = tf.tensor4d(xValues, c.x);
  const info = tf.backend_util.computeConv2DInfo(
    c.x,
    c.filter,
    c.strides,
    1,
    c.pad,
    undefined,
    false,
    tf.backend_util.convertConv2DDataFormat(c.dataFormat),
  );
  const dy = tf.tensor4d(dyValues, info.outShape);
  const dW = tf.engine().runKernel(tf.Conv2DBackpropFilter, {x, dy}, {
    strides: c.strides,
    pad: c.pad,
    dataFormat: c.dataFormat,
    filterShape: c.filter,
  } as unknown as tf.NamedAttrMap) as tf.Tensor;
  const values = dW.dataSync().slice();
  const shape = dW.shape;
  tf.dispose([x, dy, dW]);
  return {values, shape, dyShape: info.outShape};
}

describe('wasm Conv2DBackpropFilter', () => {
  for (const c of CASES) {
    it(`matches the cpu kernel for x ${c.x} filter ${c.filter} strides ${c.strides} ${c.pad} ${c.dataFormat}`, async () => {
      await useBackend('cpu');
      const xValues = tf.randomNormal(c.x, 0, 1, 'float32', 7).dataSync() as Float32Array;
      const info = tf.backend_util.computeConv2DInfo(
        c.x,
        c.filter,
        c.strides,
        1,
        c.pad,
        undefined,
        false,
        tf.backend_util.convertConv2DDataFormat(c.dataFormat),
      );
      const dyValues = tf
        .randomNormal(info.outShape, 0, 1, 'float32', 8)
        .dataSync() as Float32Array;
      const expected = await filterGrad('cpu', c, xValues, dyValues);
      await useBackend('wasm');
      const actual = await expectNoLeaks(() => filterGrad('wasm', c, xValues, dyValues));
      expect(actual.shape).toEqual(c.filter);
      // Same products summed in another order: equal up to float32 accumulation error.
      let maxAbsSum = 0;
      for (const v of expected.values) maxAbsSum = Math.max(maxAbsSum, Math.abs(v));
      for (let i = 0; i < expected.values.length; i++) {
        expect(Math.abs(actual.values[i]! - expected.values[i]!)).toBeLessThanOrEqual(
          1e-5 * (maxAbsSum + 1),
        );
      }
    });
  }

  it('lets a Conv2D layer train with model.fit on wasm', async () => {
    await useBackend('wasm');
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [6, 6, 1],
          filters: 2,
          kernelSize: 3,
          kernelInitializer: tf.initializers.glorotUniform({seed: 1}),
        }),
        tf.layers.flatten(),
        tf.layers.dense({units: 1, kernelInitializer: tf.initializers.glorotUniform({seed: 2})}),
      ],
    });
    model.compile({optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError'});
    const xs = tf.randomNormal([8, 6, 6, 1], 0, 1, 'float32', 3);
    const ys = tf.randomNormal([8, 1], 0, 1, 'float32', 4);
    const before = model.layers[0]!.getWeights()[0]!.dataSync().slice();
    const history = await model.fit(xs, ys, {epochs: 10, batchSize: 4, shuffle: false, verbose: 0});
    const after = model.layers[0]!.getWeights()[0]!.dataSync();
    expect(after).not.toEqual(before);
    const losses = history.history.loss as number[];
    expect(losses[9]!).toBeLessThan(losses[0]!);
    tf.dispose([xs, ys]);
    model.dispose();
  });
});
