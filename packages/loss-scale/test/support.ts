// Shared pieces of the loss-scale tests: optimizers, a tiny regression problem, exact snapshots.
import * as tf from '@tensorflow/tfjs';
import type {Scalar, Tensor, Variable} from '@tensorflow/tfjs';
import {expectBitsEqual} from '@tfjs-amp/test-utils';
import {expect} from 'vitest';
import type {LossScaleOptimizer} from '../src/loss-scale-optimizer.js';
import {STATE_WEIGHT_PREFIX} from '../src/serialization.js';

/** Every built-in tfjs optimizer, with settings that make their slots move visibly. */
export const OPTIMIZERS: Readonly<Record<string, () => tf.Optimizer>> = Object.freeze({
  adadelta: () => tf.train.adadelta(1, 0.9),
  adagrad: () => tf.train.adagrad(0.1),
  adam: () => tf.train.adam(0.01),
  adamax: () => tf.train.adamax(0.01),
  momentum: () => tf.train.momentum(0.05, 0.9),
  rmsprop: () => tf.train.rmsprop(0.01, 0.9, 0.5),
  sgd: () => tf.train.sgd(0.05),
});

/** A small linear regression problem on explicit variables (no layers). */
export interface Problem {
  vars: Variable[];
  /** Loss on the normal inputs. */
  loss: () => Scalar;
  /** Loss whose gradients contain Inf/NaN (one input is Inf). */
  badLoss: () => Scalar;
  dispose(): void;
}

let problemCount = 0;

/** Builds the same problem (same values) every time; variable names are unique. */
export function makeProblem(): Problem {
  const id = ++problemCount;
  const w = tf.variable(
    tf.tensor2d([0.5, -0.25, 0.125, 1, -1, 0.75], [3, 2]),
    true,
    `problem${id}/w`,
  );
  const b = tf.variable(tf.tensor1d([0.1, -0.2]), true, `problem${id}/b`);
  const x = tf.tensor2d([1, 2, 3, -1, 0.5, 2, 0.25, -2, 1, 3, 1, -0.5], [4, 3]);
  const xBad = tf.tensor2d(
    [1, 2, 3, -1, Number.POSITIVE_INFINITY, 2, 0.25, -2, 1, 3, 1, -0.5],
    [4, 3],
  );
  const y = tf.tensor2d([1, 0, 0, 1, 1, 1, -1, 0.5], [4, 2]);
  const lossOn = (input: Tensor) => () =>
    tf.losses.meanSquaredError(y, tf.add(tf.matMul(input, w), b)) as Scalar;
  return {
    vars: [w, b],
    loss: lossOn(x),
    badLoss: lossOn(xBad),
    dispose: () => tf.dispose([w, b, x, xBad, y]),
  };
}

/** Exact copy of a tensor's values (as float32 views of float32 data; int32 converted). */
export function valuesOf(t: Tensor): Float32Array {
  const data = t.dataSync();
  return data instanceof Float32Array ? data.slice() : Float32Array.from(data as ArrayLike<number>);
}

/** Names and values of an optimizer's weights; frees tensors getWeights made just for the call. */
export async function weightsOf(
  opt: tf.Optimizer,
): Promise<{names: string[]; values: Float32Array[]}> {
  const weights = await opt.getWeights();
  const names = weights.map((w) => w.name);
  const values = weights.map((w) => valuesOf(w.tensor));
  // tfjs creates the inner `iter` scalar anew on every getWeights() and never frees it.
  tf.dispose(
    weights
      .filter((w) => !(w.tensor instanceof tf.Variable) && !w.name.startsWith(STATE_WEIGHT_PREFIX))
      .map((w) => w.tensor),
  );
  return {names, values};
}

/**
 * Everything a step could change: the variables, the optimizer's weights (slots and `iter`, where
 * tfjs implements getWeights: not for Adamax), every slot variable and every tensor field of the
 * inner optimizer (Adam's beta powers, Adamax's iteration, ...), and its iteration count.
 */
export async function snapshot(vars: Variable[], opt: tf.Optimizer) {
  const inner = (opt as Partial<LossScaleOptimizer>).innerOptimizer ?? opt;
  const hidden: Float32Array[] = [];
  for (const value of Object.values(inner as unknown as Record<string, unknown>)) {
    if (value instanceof tf.Tensor) hidden.push(valuesOf(value));
    if (Array.isArray(value)) {
      for (const slot of value) {
        const v = (slot as {variable?: unknown})?.variable;
        if (v instanceof tf.Tensor) hidden.push(valuesOf(v));
      }
    }
  }
  let weights: {names: string[]; values: Float32Array[]} = {names: [], values: []};
  try {
    weights = await weightsOf(opt);
  } catch (err) {
    if (!/getWeights\(\) is not implemented/.test(String(err))) throw err;
  }
  return {vars: vars.map(valuesOf), weights, iterations: inner.iterations, hidden};
}

/** Asserts two snapshots are bit-identical. */
export function expectSameSnapshot(
  actual: Awaited<ReturnType<typeof snapshot>>,
  expected: Awaited<ReturnType<typeof snapshot>>,
): void {
  expect(actual.iterations, 'inner iterations').toBe(expected.iterations);
  expect(actual.vars.length).toBe(expected.vars.length);
  actual.vars.forEach((v, i) => {
    expectBitsEqual(v, expected.vars[i]!, `variable ${i}`);
  });
  const plain = (names: string[]) => names.map((n) => n.replace(/^problem\d+\//, 'problem/'));
  expect(plain(actual.weights.names)).toEqual(plain(expected.weights.names));
  actual.weights.values.forEach((v, i) => {
    expectBitsEqual(v, expected.weights.values[i]!, `weight ${actual.weights.names[i]}`);
  });
  expect(actual.hidden.length).toBe(expected.hidden.length);
  actual.hidden.forEach((v, i) => {
    expectBitsEqual(v, expected.hidden[i]!, `hidden state ${i}`);
  });
}

/** A small MLP with seeded initializers: the same initial weights on every call. */
export function makeMlp(inputs = 4, hidden = 8, outputs = 2): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.dense({
        units: hidden,
        inputShape: [inputs],
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({seed: 11}),
        biasInitializer: tf.initializers.randomNormal({seed: 12, stddev: 0.1}),
      }),
      tf.layers.dense({
        units: outputs,
        kernelInitializer: tf.initializers.glorotUniform({seed: 13}),
      }),
    ],
  });
}

/** Seeded regression data for {@link makeMlp}. */
export function makeData(n = 32, inputs = 4, outputs = 2): {x: Tensor; y: Tensor} {
  return {
    x: tf.randomNormal([n, inputs], 0, 1, 'float32', 21),
    y: tf.randomNormal([n, outputs], 0, 1, 'float32', 22),
  };
}

/** Bit copies of a model's weights. */
export function modelWeights(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map(valuesOf);
}

/** Asserts two models hold bit-identical weights. */
export function expectSameWeights(a: tf.LayersModel, b: tf.LayersModel): void {
  const wa = modelWeights(a);
  const wb = modelWeights(b);
  expect(wa.length).toBe(wb.length);
  wa.forEach((w, i) => {
    expectBitsEqual(w, wb[i]!, `model weight ${i}`);
  });
}
