import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {expectNoLeaks, useBackend} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import '../../index.js';

interface Case {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: 'same' | 'valid' | number;
  dataFormat: 'NHWC' | 'NCHW';
}

const CASES: Case[] = [
  {x: [2, 9, 8, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same', dataFormat: 'NHWC'},
  {x: [3, 11, 10, 2], filter: [3, 2, 2, 5], strides: 2, pad: 'valid', dataFormat: 'NHWC'},
  {x: [1, 7, 7, 4], filter: [5, 5, 4, 2], strides: [2, 1], pad: 'same', dataFormat: 'NHWC'},
  {x: [2, 8, 8, 3], filter: [1, 1, 3, 6], strides: 2, pad: 'same', dataFormat: 'NHWC'},
  {x: [1, 6, 5, 2], filter: [3, 3, 2, 3], strides: 1, pad: 1, dataFormat: 'NHWC'},
  {x: [2, 3, 8, 8], filter: [3, 3, 3, 4], strides: 1, pad: 'valid', dataFormat: 'NCHW'},
  // Empty cases: batch 0, an output smaller than the window, no output channels.
  {x: [0, 5, 5, 2], filter: [3, 3, 2, 3], strides: 1, pad: 'same', dataFormat: 'NHWC'},
  {x: [2, 2, 2, 2], filter: [3, 3, 2, 3], strides: 1, pad: 'valid', dataFormat: 'NHWC'},
  {x: [2, 4, 4, 2], filter: [3, 3, 2, 0], strides: 1, pad: 'same', dataFormat: 'NHWC'},
];

function outShape(c: Case): number[] {
  return tf.backend_util.computeConv2DInfo(
    c.x,
    c.filter,
    c.strides,
    1,
    c.pad,
    undefined,
    false,
    tf.backend_util.convertConv2DDataFormat(c.dataFormat),
  ).outShape;
}

/** Fills the heap with 7s and frees it, so memory a kernel forgets to write shows up. */
function dirtyHeap(): void {
  const junk = tf.fill([1 << 14], 7);
  junk.dataSync();
  junk.dispose();
}

function inputGrad(c: Case, dyValues: Float32Array, filterValues: Float32Array) {
  return tf.tidy(() => {
    const dy = tf.tensor4d(dyValues, outShape(c) as [number, number, number, number]);
    const filter = tf.tensor4d(filterValues, c.filter);
    const dx = tf.engine().runKernel(tf.Conv2DBackpropInput, {dy, filter}, {
      strides: c.strides,
      pad: c.pad,
      dataFormat: c.dataFormat,
      inputShape: c.x,
    } as unknown as tf.NamedAttrMap) as tf.Tensor;
    return {values: dx.dataSync() as Float32Array, shape: dx.shape};
  });
}

describe('wasm Conv2DBackpropInput override', () => {
  for (const c of CASES) {
    it(`matches the cpu kernel for x ${c.x} filter ${c.filter} strides ${c.strides} ${c.pad} ${c.dataFormat}`, async () => {
      await useBackend('cpu');
      const dySize = outShape(c).reduce((a, b) => a * b, 1);
      const fSize = c.filter.reduce((a, b) => a * b, 1);
      const dyValues = Float32Array.from({length: dySize}, (_, i) => Math.sin(i * 0.7 + 1));
      const filterValues = Float32Array.from({length: fSize}, (_, i) => Math.cos(i * 1.3));
      const expected = inputGrad(c, dyValues, filterValues);
      await useBackend('wasm');
      const actual = await expectNoLeaks(() => {
        dirtyHeap();
        return inputGrad(c, dyValues, filterValues);
      });
      expect(actual.shape).toEqual(c.x);
      expect(actual.values.length).toBe(expected.values.length);
      // Each element sums at most fh·fw·co products of magnitude ≤ 1 in another order.
      const terms = c.filter[0] * c.filter[1] * c.filter[3];
      const bound = 2 * terms * terms * 2 ** -24 + 1e-7;
      for (let i = 0; i < expected.values.length; i++) {
        expect(Math.abs(actual.values[i]! - expected.values[i]!)).toBeLessThanOrEqual(bound);
      }
    });
  }

  it('gives a Conv2D layer the same input gradient on wasm as on cpu', async () => {
    const run = async (backend: 'cpu' | 'wasm') => {
      await useBackend(backend);
      return tf.tidy(() => {
        const x = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 1);
        const w = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 2);
        const g = tf.grad((input: tf.Tensor) =>
          tf.sum(tf.square(tf.conv2d(input as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'))),
        )(x);
        return g.dataSync() as Float32Array;
      });
    };
    const expected = await run('cpu');
    const actual = await run('wasm');
    let scale = 0;
    for (const v of expected) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < expected.length; i++) {
      expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(1e-5 * scale);
    }
  });
});
