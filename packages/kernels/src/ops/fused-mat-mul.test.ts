import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {expect, it} from 'vitest';
import {fusedMatMul} from '../index.js';

const bits = (t: tf.Tensor) => t.dataSync() as Float32Array;

describeBackends(['cpu', 'wasm'], () => {
  it('gives tf.fused.matMul’s values and gradients, bit for bit', async () => {
    const a = tf.randomNormal([5, 7], 0, 1, 'float32', 1) as tf.Tensor2D;
    const b = tf.randomNormal([7, 3], 0, 1, 'float32', 2) as tf.Tensor2D;
    const bias = tf.randomNormal([3], 0, 1, 'float32', 3) as tf.Tensor1D;
    for (const activation of ['linear', 'relu'] as const) {
      for (const withBias of [true, false]) {
        const args = {a, b, bias: withBias ? bias : undefined, activation};
        const ours = await expectNoLeaks(() => fusedMatMul(args), 1);
        const theirs = tf.fused.matMul(args);
        expectBitsEqual(bits(ours), bits(theirs), `${activation} y`);
        const loss = (f: typeof fusedMatMul) => (x: tf.Tensor, w: tf.Tensor, c: tf.Tensor) =>
          tf.sum(
            tf.mul(
              f({a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias: c as tf.Tensor1D, activation}),
              tf.range(0, 15).reshape([5, 3]),
            ),
          );
        const g1 = tf.grads(loss(fusedMatMul))([a, b, bias]);
        const g2 = tf.grads(loss((x) => tf.fused.matMul(x) as tf.Tensor2D))([a, b, bias]);
        for (let i = 0; i < 3; i++)
          expectBitsEqual(bits(g1[i]!), bits(g2[i]!), `${activation} d${i}`);
        tf.dispose([ours, theirs, ...g1, ...g2]);
      }
    }
    tf.dispose([a, b, bias]);
  });

  it('computes only the gradients the tape needs', () => {
    const a = tf.ones([4, 6]) as tf.Tensor2D;
    const b = tf.variable(tf.ones([6, 2])) as unknown as tf.Tensor2D;
    const products: string[] = [];
    const engine = tf.engine() as unknown as {runKernel: (...args: unknown[]) => unknown};
    const run = engine.runKernel.bind(engine);
    engine.runKernel = (name: unknown, ...rest: unknown[]) => {
      if (name === 'BatchMatMul') products.push(String(name));
      return run(name, ...rest);
    };
    try {
      const g = tf.grad((w: tf.Tensor) =>
        tf.sum(fusedMatMul({a, b: w as tf.Tensor2D, activation: 'relu'})),
      )(b);
      // Only dL/db: one product (aᵀ·dy), not the input's gradient (dy·bᵀ).
      expect(products).toEqual(['BatchMatMul']);
      g.dispose();
    } finally {
      engine.runKernel = run;
    }
    tf.dispose([a, b]);
  });

  it('rejects inputs of the wrong rank or dtype and unknown activations', () => {
    const a = tf.ones([2, 3]) as tf.Tensor2D;
    const b = tf.ones([3, 2]) as tf.Tensor2D;
    expect(() => fusedMatMul({a: tf.ones([2]) as unknown as tf.Tensor2D, b})).toThrow(
      /fusedMatMul: a must be a float32 tensor of rank 2; got/,
    );
    expect(() => fusedMatMul({a, b: a})).toThrow(
      'fusedMatMul: shapes do not fit: a [2,3], b [2,3]; want [m, k], [k, n], [n].',
    );
    expect(() => fusedMatMul({a, b, activation: 'elu' as 'relu'})).toThrow(
      "fusedMatMul: unknown activation 'elu'. Allowed: linear, relu.",
    );
    tf.dispose([a, b]);
  });
});
