import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {FusedOptimizer, fuseOptimizer} from './fused-optimizer.js';

const OPTIMIZERS: Readonly<Record<string, () => tf.Optimizer>> = Object.freeze({
  adadelta: () => tf.train.adadelta(1, 0.9),
  adagrad: () => tf.train.adagrad(0.1),
  adam: () => tf.train.adam(0.01),
  momentum: () => tf.train.momentum(0.05, 0.9, true),
  rmsprop: () => tf.train.rmsprop(0.01, 0.9, 0.5),
  sgd: () => tf.train.sgd(0.05),
});

let made = 0;

/** A tiny regression on two variables (same values every call, unique names). */
function problem() {
  made++;
  const w = tf.variable(tf.tensor2d([0.5, -0.25, 0.125, 1, -1, 0.75], [3, 2]), true, `fo${made}/w`);
  const b = tf.variable(tf.tensor1d([0.1, -0.2]), true, `fo${made}/b`);
  const x = tf.tensor2d([1, 2, 3, -1, 0.5, 2, 0, 1, -2, 3, 1, 1], [4, 3]);
  const y = tf.tensor2d([1, 0, 0, 1, 1, 1, -1, 2], [4, 2]);
  const loss = () => tf.losses.meanSquaredError(y, tf.add(tf.matMul(x, w), b)) as tf.Scalar;
  return {vars: [w, b], loss, dispose: () => tf.dispose([w, b, x, y])};
}

describe('fuseOptimizer', () => {
  it('refuses what is not a tf.Optimizer, or an optimizer fused already', () => {
    expect(() => fuseOptimizer(null as unknown as tf.Optimizer)).toThrow(TypeError);
    expect(() => fuseOptimizer({} as tf.Optimizer)).toThrow(
      /optimizer must be a tf.Optimizer \(e.g. tf.train.adam\(1e-3\)\); got Object/,
    );
    const fused = fuseOptimizer(tf.train.sgd(0.1));
    expect(() => fuseOptimizer(fused)).toThrow(/already a FusedOptimizer/);
    expect(fused).toBeInstanceOf(FusedOptimizer);
    expect(fused).toBeInstanceOf(tf.Optimizer);
    fused.dispose();
  });

  it('answers as the wrapped optimizer: class name, config, learning rate', () => {
    const inner = tf.train.adam(0.01, 0.8, 0.99, 1e-6);
    const fused = fuseOptimizer(inner);
    expect(fused.getClassName()).toBe('Adam');
    expect(fused.getConfig()).toEqual(inner.getConfig());
    fused.learningRate = 0.5;
    expect(inner.getConfig().learningRate).toBe(0.5);
    expect(() => fused.setLearningRate(Number.NaN)).toThrow(/learningRate must be a finite number/);
    fused.dispose();
  });

  describeBackends(['cpu', 'wasm'], (backend) => {
    for (const [name, make] of Object.entries(OPTIMIZERS)) {
      it(`delegates ${name} on ${backend}: bit-identical variables, weights and iterations`, async () => {
        const plain = problem();
        const wrapped = problem();
        const reference = make();
        const fused = fuseOptimizer(make());
        const both = () => {
          reference.minimize(plain.loss, true, plain.vars)?.dispose();
          fused.minimize(wrapped.loss, true, wrapped.vars)?.dispose();
        };
        both(); // creates the slots
        await expectNoLeaks(() => {
          for (let i = 1; i < 5; i++) both();
        });
        expect(fused.mode).toBe('delegate');
        expect(fused.unfusedReason).not.toBeNull();
        expect(fused.iterations).toBe(5);
        plain.vars.forEach((v, k) => {
          expectBitsEqual(
            wrapped.vars[k]!.dataSync() as Float32Array,
            v.dataSync() as Float32Array,
          );
        });
        const a = await reference.getWeights();
        const b = await fused.getWeights();
        expect(b.map((w) => w.name.replace(/^fo\d+/, ''))).toEqual(
          a.map((w) => w.name.replace(/^fo\d+/, '')),
        );
        a.slice(1).forEach((w, k) => {
          expectBitsEqual(
            b[k + 1]!.tensor.dataSync() as Float32Array,
            w.tensor.dataSync() as Float32Array,
          );
        });
        tf.dispose([a[0]!.tensor, b[0]!.tensor]); // tfjs's iter scalars
        reference.dispose();
        fused.dispose();
        plain.dispose();
        wrapped.dispose();
      });
    }
  });
});
