import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {expect, it} from 'vitest';
import {fusedConv2d, fusedMatMul, quantize} from '../index.js';

const bits = (t: tf.Tensor) => t.dataSync() as Float32Array;

describeBackends(['cpu', 'wasm', 'tensorflow'], (backend) => {
  it('roundOutputTo: the rounded result, one tensor, and a gradient that reads it', async () => {
    const a = tf.randomNormal([6, 5], 0, 1, 'float32', 1) as tf.Tensor2D;
    const b = tf.randomNormal([5, 4], 0, 1, 'float32', 2) as tf.Tensor2D;
    const bias = tf.randomNormal([4], 0, 1, 'float32', 3) as tf.Tensor1D;
    const x = tf.randomNormal([2, 5, 5, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const filter = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 5) as tf.Tensor4D;
    const cases = [
      {
        name: 'fusedMatMul',
        run: (r?: 'float16') => fusedMatMul({a, b, bias, activation: 'relu', roundOutputTo: r}),
        inputs: [a, b, bias],
        grads: (f: (...t: tf.Tensor[]) => tf.Tensor) =>
          tf.grads((p, q, c) => tf.sum(tf.square(f(p!, q!, c!))))([a, b, bias]),
        f: (p: tf.Tensor, q: tf.Tensor, c: tf.Tensor, r?: 'float16') =>
          fusedMatMul({
            a: p as tf.Tensor2D,
            b: q as tf.Tensor2D,
            bias: c as tf.Tensor1D,
            activation: 'relu',
            roundOutputTo: r,
          }),
      },
      {
        name: 'fusedConv2d',
        run: (r?: 'float16') =>
          fusedConv2d({
            x,
            filter,
            strides: 1,
            pad: 'same',
            bias,
            activation: 'relu',
            roundOutputTo: r,
          }),
        inputs: [x, filter, bias],
        grads: (f: (...t: tf.Tensor[]) => tf.Tensor) =>
          tf.grads((p, q, c) => tf.sum(tf.square(f(p!, q!, c!))))([x, filter, bias]),
        f: (p: tf.Tensor, q: tf.Tensor, c: tf.Tensor, r?: 'float16') =>
          fusedConv2d({
            x: p as tf.Tensor4D,
            filter: q as tf.Tensor4D,
            strides: 1,
            pad: 'same',
            bias: c as tf.Tensor1D,
            activation: 'relu',
            roundOutputTo: r,
          }),
      },
    ];
    for (const c of cases) {
      // The same values as rounding the op's result, in one new tensor.
      const plain = c.run();
      const want = quantize(plain, 'float16');
      const got = await expectNoLeaks(() => c.run('float16'), 1);
      expectBitsEqual(bits(got), bits(want), `${c.name} (${backend})`);
      // On tfjs-node the kernel rounds its own result (only the rounded one exists, and the tape
      // saves it); elsewhere the op rounds after the kernel.
      const profile = await tf.profile(() => c.run('float16'));
      expect(profile.kernelNames.includes('AmpQuantize'), c.name).toBe(backend !== 'tensorflow');
      tf.dispose(profile.result as tf.Tensor);
      // Gradients: the rounding passes the gradient straight through; relu's reads the rounded
      // result, which is positive exactly where the float32 one is for these values.
      const g1 = c.grads((p, q, r) => c.f(p, q, r, 'float16'));
      const g2 = c.grads((p, q, r) => {
        const y = c.f(p, q, r);
        return tf.add(y, tf.sub(quantize(y, 'float16', {gradFormat: null}), y));
      });
      for (let i = 0; i < 3; i++) expectBitsEqual(bits(g1[i]!), bits(g2[i]!), `${c.name} d${i}`);
      tf.dispose([plain, want, got, ...g1, ...g2]);
    }
    expect(() => fusedMatMul({a, b, roundOutputTo: 'float17' as 'float16'})).toThrow(/float17/);
    tf.dispose([a, b, bias, x, filter]);
  });
});
