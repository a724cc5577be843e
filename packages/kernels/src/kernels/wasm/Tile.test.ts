import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {expectBitsEqual, expectNoLeaks, useBackend} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import '../../index.js';

interface Case {
  shape: number[];
  reps: number[];
  dtype: 'float32' | 'int32' | 'bool';
}

const CASES: Case[] = [
  {shape: [5], reps: [3], dtype: 'float32'},
  {shape: [2, 3], reps: [2, 4], dtype: 'float32'},
  {shape: [1, 1, 1, 6], reps: [4, 3, 5, 1], dtype: 'float32'}, // BatchNorm's gradient
  {shape: [2, 1, 3, 2], reps: [1, 3, 2, 2], dtype: 'int32'},
  {shape: [2, 3, 1, 2, 2], reps: [2, 1, 3, 1, 2], dtype: 'float32'},
  {shape: [3, 2], reps: [1, 1], dtype: 'float32'},
  {shape: [2, 2], reps: [2, 3], dtype: 'bool'}, // stock kernel
  // Empty cases: an empty input, a 0 repetition.
  {shape: [0, 3], reps: [2, 2], dtype: 'float32'},
  {shape: [2, 3], reps: [2, 0], dtype: 'float32'},
];

function tiled(c: Case) {
  return tf.tidy(() => {
    const size = c.shape.reduce((a, b) => a * b, 1);
    const values = Array.from({length: size}, (_, i) =>
      c.dtype === 'float32' ? Math.sin(i + 1) * 100 : c.dtype === 'int32' ? i * 7 - 20 : i % 3,
    );
    const out = tf.tile(tf.tensor(values, c.shape, c.dtype), c.reps);
    return {values: out.dataSync(), shape: out.shape, dtype: out.dtype};
  });
}

describe('wasm Tile override', () => {
  for (const c of CASES) {
    it(`matches the cpu kernel bit for bit: ${c.dtype} [${c.shape}] × [${c.reps}]`, async () => {
      await useBackend('cpu');
      const expected = tiled(c);
      await useBackend('wasm');
      const actual = await expectNoLeaks(() => {
        const junk = tf.fill([1 << 14], 7); // dirty heap: unwritten memory would show
        junk.dataSync();
        junk.dispose();
        return tiled(c);
      });
      expect(actual.shape).toEqual(expected.shape);
      expect(actual.dtype).toBe(expected.dtype);
      if (c.dtype === 'float32') {
        expectBitsEqual(actual.values as Float32Array, expected.values as Float32Array);
      } else {
        expect(Array.from(actual.values)).toEqual(Array.from(expected.values));
      }
    });
  }

  it('gives BatchNorm layers the same training gradients on wasm as on cpu', async () => {
    const run = async (backend: 'cpu' | 'wasm') => {
      await useBackend(backend);
      const x = tf.randomNormal([4, 3, 3, 5], 1, 2, 'float32', 1);
      const bn = tf.layers.batchNormalization({});
      tf.dispose(bn.apply(x, {training: true}) as tf.Tensor);
      const g = tf.tidy(() =>
        tf
          .grad((input: tf.Tensor) =>
            tf.sum(
              tf.mul(
                bn.apply(input, {training: true}) as tf.Tensor,
                tf.range(0, 180).reshape([4, 3, 3, 5]),
              ),
            ),
          )(x)
          .dataSync(),
      );
      x.dispose();
      for (const w of bn.weights) w.dispose();
      return g as Float32Array;
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
