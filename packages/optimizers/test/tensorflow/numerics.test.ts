// The fused updates against tfjs's own optimizers on tfjs-node, over 100 steps of fixed gradient
// sequences (no feedback from the variables, so differences only come from rounding): exact
// where both sides run the same float32 operations, within a derived float32 bound elsewhere.
import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {type FusedOptimizer, fuseOptimizer} from '../../src/index.js';
import {
  adamaxBound,
  adamBound,
  type ElementBound,
  nesterovBound,
  rmspropBound,
  U,
} from './bounds.js';
import {lcg, makeVariables} from './support.js';

const SHAPES = [[6, 8], [8]];
const STEPS = 100;

/**
 * Step t's gradient of variable k: LCG values times a per-element scale of 1, 1e-3 or 1e-6 (the
 * smallest make Adam's epsilon matter), with a sign bias on every fourth element.
 */
function gradientValues(k: number, t: number, n: number): Float32Array {
  const raw = lcg(n, 1000 * (k + 1) + t);
  const out = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    const scale = [1, 1e-3, 1e-6][j % 3]!;
    const bias = j % 4 === 0 ? 0.5 : 0;
    out[j] = (raw[j]! + bias) * scale;
  }
  return out;
}

type NamedTensor = {name: string; tensor: tf.Tensor};

interface Run {
  values: Float32Array[];
  weights: NamedTensor[] | null;
}

/** Runs `STEPS` steps of `optimizer` on fresh variables; returns final values (and weights). */
async function train(optimizer: tf.Optimizer, withWeights: boolean): Promise<Run> {
  const vars = makeVariables(SHAPES);
  for (let t = 0; t < STEPS; t++) {
    const grads = vars.map((v, k) => ({
      name: v.name,
      tensor: tf.tensor(gradientValues(k, t, v.size), v.shape),
    }));
    optimizer.applyGradients(grads);
    tf.dispose(grads.map((g) => g.tensor));
  }
  const values = vars.map((v) => v.dataSync() as Float32Array);
  const weights = withWeights ? await optimizer.getWeights() : null;
  tf.dispose(vars);
  return {values, weights};
}

/** Bounds for every element of every variable, stepped through the same gradients. */
function bounds(make: (x0: number) => ElementBound): ElementBound[][] {
  return SHAPES.map((shape, k) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const x0 = lcg(n, 1 + k);
    const list = Array.from(x0, (x) => make(x));
    for (let t = 0; t < STEPS; t++) {
      const g = gradientValues(k, t, n);
      list.forEach((b, j) => {
        b.step(g[j]!);
      });
    }
    return list;
  });
}

/**
 * Asserts |fused - tfjs| ≤ 2 · drift per element, and that the bound means something: far below
 * how far the variables moved, so a formula off by more than rounding would fail it.
 */
function expectWithinBounds(
  fused: Float32Array[],
  ref: Float32Array[],
  b: ElementBound[][],
): number {
  let worst = 0;
  let allowedSum = 0;
  let travelledSum = 0;
  let differing = 0;
  const bad: string[] = [];
  fused.forEach((values, k) => {
    values.forEach((got, j) => {
      const e = b[k]![j]!;
      const diff = Math.abs(got - ref[k]![j]!);
      const allowed = 2 * e.drift;
      if (diff !== 0) differing++;
      worst = Math.max(worst, diff / allowed);
      allowedSum += allowed;
      travelledSum += e.travelled;
      if (!(diff <= allowed) && bad.length < 5) {
        bad.push(`var ${k}[${j}]: fused ${got}, tfjs ${ref[k]![j]}, |diff| ${diff} > ${allowed}`);
      }
      // Both within the drift of the exact trajectory too.
      expect(Math.abs(got - e.value), `fused var ${k}[${j}] vs exact`).toBeLessThanOrEqual(e.drift);
    });
  });
  expect(bad, 'elements outside the float32 bound').toEqual([]);
  // In all, the allowance is a small fraction of how far the variables moved.
  expect(allowedSum / travelledSum).toBeLessThan(0.02);
  expect(worst).toBeLessThanOrEqual(1);
  return differing;
}

/**
 * Disposes a tfjs optimizer and a fused one; also frees the `-lr` scalar `c` that tfjs's
 * MomentumOptimizer.dispose() forgets (tfjs's leak, not this package's).
 */
function disposeBoth(reference: tf.Optimizer, fused: FusedOptimizer): void {
  const inner = fused.innerOptimizer;
  reference.dispose();
  fused.dispose();
  for (const o of [reference, inner]) (o as unknown as {c?: tf.Tensor}).c?.dispose();
}

describe('fused optimizers against tfjs on tfjs-node', () => {
  describeBackends(['tensorflow'], () => {
    it('Adam agrees with tfjs Adam within float32 rounding over 100 steps (not bit for bit)', async () => {
      const lr = 0.01;
      const make = () => tf.train.adam(lr, 0.9, 0.999, 1e-7);
      await expectNoLeaks(async () => {
        const reference = make();
        const fused = fuseOptimizer(make());
        const ref = await train(reference, true);
        const got = await train(fused, true);
        expect(fused.mode).toBe('fused');
        const differing = expectWithinBounds(
          got.values,
          ref.values,
          bounds((x) => adamBound(x, lr, 0.9, 0.999, 1e-7)),
        );
        // Not bit-identical: TensorFlow's kernel rounds in another order.
        expect(differing).toBeGreaterThan(0);
        // Slots: same names (up to the variables' names), order and shapes; v (no cancellation)
        // within its coefficient error (1 - beta2 formed two ways) plus 4 roundings per step.
        const strip = (w: NamedTensor) => [w.name.replace(/^opt-test-\d+-/, ''), w.tensor.shape];
        expect(got.weights!.map(strip)).toEqual(ref.weights!.map(strip));
        const vRelative =
          2 * (Math.abs(Math.fround(1 - 0.999) - (1 - Math.fround(0.999))) / 0.001 + 4 * U * STEPS);
        for (const i of [3, 4]) {
          const a = ref.weights![i]!.tensor.dataSync();
          const b = got.weights![i]!.tensor.dataSync();
          a.forEach((x, j) => {
            expect(Math.abs(b[j]! - x)).toBeLessThanOrEqual(vRelative * x);
          });
        }
        expect(fused.iterations).toBe(STEPS);
        tf.dispose(ref.weights!.map((w) => w.tensor)); // tfjs's iter scalar and its variables
        reference.dispose();
        fused.dispose();
      });
    });

    it('SGD and Momentum run the same float32 operations as tfjs: bit-identical', async () => {
      for (const make of [() => tf.train.sgd(0.05), () => tf.train.momentum(0.05, 0.9)]) {
        await expectNoLeaks(async () => {
          const reference = make();
          const fused = fuseOptimizer(make());
          const ref = await train(reference, false);
          const got = await train(fused, false);
          expect(fused.mode).toBe('fused');
          got.values.forEach((v, k) => {
            expectBitsEqual(v, ref.values[k]!);
          });
          disposeBoth(reference, fused);
        });
      }
    });

    it('Nesterov momentum, RMSProp and Adamax agree with tfjs within float32 rounding', async () => {
      const cases: [string, () => tf.Optimizer, (x: number) => ElementBound][] = [
        ['nesterov', () => tf.train.momentum(0.05, 0.9, true), (x) => nesterovBound(x, 0.05, 0.9)],
        [
          'rmsprop',
          () => tf.train.rmsprop(0.01, 0.9, 0.5, 1e-7),
          (x) => rmspropBound(x, 0.01, 0.9, 0.5, 1e-7),
        ],
        [
          'adamax',
          () => tf.train.adamax(0.01, 0.9, 0.999, 1e-7),
          (x) => adamaxBound(x, 0.01, 0.9, 0.999, 1e-7),
        ],
      ];
      for (const [name, make, bound] of cases) {
        await expectNoLeaks(async () => {
          const reference = make();
          const fused = fuseOptimizer(make());
          const ref = await train(reference, false);
          const got = await train(fused, false);
          expect(fused.mode, name).toBe('fused');
          expectWithinBounds(got.values, ref.values, bounds(bound));
          disposeBoth(reference, fused);
        });
      }
    });
  });
});
