import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {expect, it} from 'vitest';
import {fusedConv2d} from '../index.js';

const bits = (t: tf.Tensor) => t.dataSync() as Float32Array;

describeBackends(['cpu', 'wasm'], () => {
  it('gives tf.fused.conv2d’s values and gradients, bit for bit', async () => {
    const x = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const filter = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
    const bias = tf.randomNormal([4], 0, 1, 'float32', 3) as tf.Tensor1D;
    for (const activation of ['linear', 'relu'] as const) {
      for (const pad of ['same', 'valid'] as const) {
        const args = {x, filter, bias, activation, strides: 1 as const, pad};
        const ours = await expectNoLeaks(() => fusedConv2d(args), 1);
        const theirs = tf.fused.conv2d(args);
        expectBitsEqual(bits(ours), bits(theirs), `${activation} ${pad} y`);
        const weights = tf.randomNormal(ours.shape, 0, 1, 'float32', 4);
        const loss =
          (f: (a: typeof args) => tf.Tensor) => (a: tf.Tensor, w: tf.Tensor, c: tf.Tensor) =>
            tf.sum(
              tf.mul(
                f({...args, x: a as tf.Tensor4D, filter: w as tf.Tensor4D, bias: c as tf.Tensor1D}),
                weights,
              ),
            );
        const g1 = tf.grads(loss(fusedConv2d))([x, filter, bias]);
        const g2 = tf.grads(loss((a) => tf.fused.conv2d(a)))([x, filter, bias]);
        for (let i = 0; i < 3; i++) {
          expectBitsEqual(bits(g1[i]!), bits(g2[i]!), `${activation} ${pad} d${i}`);
        }
        tf.dispose([ours, theirs, weights, ...g1, ...g2]);
      }
    }
    tf.dispose([x, filter, bias]);
  });

  it('computes only the gradients the tape needs', () => {
    const x = tf.ones([1, 5, 5, 2]) as tf.Tensor4D;
    const filter = tf.ones([3, 3, 2, 2]) as tf.Tensor4D;
    const kernels: string[] = [];
    const engine = tf.engine() as unknown as {runKernel: (...args: unknown[]) => unknown};
    const run = engine.runKernel.bind(engine);
    engine.runKernel = (name: unknown, ...rest: unknown[]) => {
      if (String(name).startsWith('Conv2DBackprop')) kernels.push(String(name));
      return run(name, ...rest);
    };
    try {
      const g = tf.grad((f: tf.Tensor) =>
        tf.sum(
          fusedConv2d({x, filter: f as tf.Tensor4D, strides: 1, pad: 'same', activation: 'relu'}),
        ),
      )(filter);
      expect(kernels).toEqual(['Conv2DBackpropFilter']);
      g.dispose();
    } finally {
      engine.runKernel = run;
    }
    tf.dispose([x, filter]);
  });

  it('rejects mismatched shapes and unknown activations', () => {
    const x = tf.ones([1, 4, 4, 2]) as tf.Tensor4D;
    const filter = tf.ones([3, 3, 3, 2]) as tf.Tensor4D;
    expect(() => fusedConv2d({x, filter, strides: 1, pad: 'same'})).toThrow(
      /fusedConv2d: shapes do not fit: x \[1,4,4,2\], filter \[3,3,3,2\]/,
    );
    expect(() =>
      fusedConv2d({x, filter, strides: 1, pad: 'same', activation: 'tanh' as 'relu'}),
    ).toThrow("fusedConv2d: unknown activation 'tanh'. Allowed: linear, relu.");
    tf.dispose([x, filter]);
  });
});
