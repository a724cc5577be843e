import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectNoLeaks} from '@tfjs-amp/test-utils';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {
  ensureAmpKernels,
  type NativeDispatch,
  nativeKernelSupport,
  setNativeDispatch,
} from '../../src/index.js';
import type {NativeOpName} from '../../src/native/probe.js';
import type {FormatName} from '../../src/formats/format-spec.js';
import {getFormat} from '../../src/formats/index.js';
import {applyMixed} from './mixed.js';
import {accumulation, OpSpy, materialize, productOp, values} from './support.js';

function mlp(): tf.LayersModel {
  const init = (seed: number) => tf.initializers.glorotUniform({seed});
  return tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [32],
        units: 64,
        activation: 'relu',
        kernelInitializer: init(1),
      }),
      tf.layers.dense({units: 64, activation: 'relu', kernelInitializer: init(2)}),
      tf.layers.dense({units: 1, kernelInitializer: init(3)}),
    ],
  });
}

function cnn(): tf.LayersModel {
  const init = (seed: number) => tf.initializers.glorotUniform({seed});
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [10, 10, 2],
        filters: 8,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: init(4),
      }),
      tf.layers.depthwiseConv2d({kernelSize: 3, activation: 'relu', depthwiseInitializer: init(5)}),
      tf.layers.conv2d({filters: 4, kernelSize: 3, strides: 2, kernelInitializer: init(6)}),
      tf.layers.flatten(),
      tf.layers.dense({units: 1, kernelInitializer: init(7)}),
    ],
  });
}

interface Run {
  readonly losses: number[];
  readonly halfOps: string[];
}

/** Trains a fresh copy of `build()` from the same weights; `mixed` = null trains plain float32. */
async function train(
  build: () => tf.LayersModel,
  learningRate: number,
  data: {xs: tf.Tensor; ys: tf.Tensor},
  mixed: {format: FormatName; native: boolean} | null,
  spy: OpSpy,
): Promise<Run> {
  const model = build();
  model.compile({optimizer: tf.train.sgd(learningRate), loss: 'meanSquaredError'});
  const undo = mixed == null ? null : applyMixed(model, mixed.format, mixed.native);
  try {
    const fit = () =>
      model.fit(data.xs, data.ys, {epochs: 4, batchSize: 32, shuffle: false, verbose: 0});
    // One warm-up epoch creates whatever fit keeps for good; the measured run must add nothing.
    await model.fit(data.xs, data.ys, {epochs: 1, batchSize: 256, shuffle: false, verbose: 0});
    const weights = model.getWeights().map((w) => w.clone());
    model.setWeights(weights);
    tf.dispose(weights);
    spy.reset();
    const history = await expectNoLeaks(fit);
    return {losses: history.history.loss as number[], halfOps: spy.halfOps()};
  } finally {
    undo?.();
    model.dispose();
  }
}

function dataset(inputShape: number[], n: number, seed: number): {xs: tf.Tensor; ys: tf.Tensor} {
  const size = inputShape.reduce((a, b) => a * b, 1);
  const xs = tf.tensor(values(n * size, seed, 'float32'), [n, ...inputShape]);
  // A smooth target the models can fit: a fixed random projection through tanh.
  const w = tf.tensor(values(size, seed + 1, 'float32'), [size, 1]);
  const ys = tf.tidy(() => tf.tanh(tf.matMul(tf.reshape(xs, [n, size]), w)));
  w.dispose();
  materialize(xs, ys);
  return {xs, ys};
}

/**
 * One step at the same weights, native vs emulated: the loss and every weight gradient, on the
 * first 32 examples. Both round the same cast points and (under the `accurate` dispatch) sum in
 * float32; native rounds each matrix product once more (to the format, bfloat16 possibly
 * truncated: at most one unit, relative 2^-m with m mantissa bits) before the float32 epilogue,
 * in the forward pass and in both backward products of each of the model's `layers` rounded
 * layers. To first order the two differ by at most 2·layers·2^-m relative (forward + backward
 * per layer), times the amplification of the network, taken as 4: `8 · layers · 2^-m`.
 * End-of-training losses are no measure of this (4 epochs of SGD at a high rate amplify any
 * rounding difference chaotically: with oneDNN off the same float16 CNN ends 1.8% apart, on AMX
 * CPUs 2.6%), so training itself is only required to work.
 */
function oneStepBound(format: FormatName, layers: number): number {
  return 8 * layers * 2 ** -getFormat(format).mantissaBits;
}

interface Step {
  readonly loss: number;
  readonly grads: Float32Array[];
}

/** Loss and weight gradients of one batch at `build()`'s initial weights. */
function oneStep(
  build: () => tf.LayersModel,
  data: {xs: tf.Tensor; ys: tf.Tensor},
  mixed: {format: FormatName; native: boolean},
): Step {
  const model = build();
  const undo = applyMixed(model, mixed.format, mixed.native);
  try {
    return tf.tidy(() => {
      const xs = data.xs.slice(0, 32);
      const ys = data.ys.slice(0, 32);
      const variables = model.trainableWeights.map((w) => (w as unknown as {val: tf.Variable}).val);
      const {value, grads} = tf.variableGrads(
        () => tf.losses.meanSquaredError(ys, model.apply(xs) as tf.Tensor) as tf.Scalar,
        variables,
      );
      // In layer order: the two models' variable names differ (layer counters).
      const names = variables.map((v) => v.name);
      return {
        loss: value.dataSync()[0]!,
        grads: names.map((n) => grads[n]!.dataSync() as Float32Array),
      };
    });
  } finally {
    undo();
    model.dispose();
  }
}

/** ‖a − b‖₂ / ‖b‖₂ (0 when both are zero). */
function relativeDistance(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < b.length; i++) {
    diff += (a[i]! - b[i]!) ** 2;
    norm += b[i]! ** 2;
  }
  return diff === 0 ? 0 : Math.sqrt(diff / norm);
}

describeBackends(['tensorflow'], () => {
  let spy: OpSpy;
  let previousDispatch: NativeDispatch;
  beforeAll(() => {
    previousDispatch = setNativeDispatch('accurate');
    ensureAmpKernels('tensorflow');
    nativeKernelSupport('float16');
    nativeKernelSupport('bfloat16');
    spy = new OpSpy();
  });
  afterAll(() => {
    spy.restore();
    setNativeDispatch(previousDispatch);
  });

  const models = {
    MLP: {
      build: mlp,
      layers: 3,
      learningRate: 0.05,
      inputShape: [32],
      ops: ['BatchMatMulV2'] as NativeOpName[],
    },
    CNN: {
      build: cnn,
      layers: 5,
      learningRate: 0.3,
      inputShape: [10, 10, 2],
      ops: [
        'Conv2D',
        'Conv2DBackpropFilter',
        'Conv2DBackpropInput',
        'DepthwiseConv2dNative',
        'DepthwiseConv2dNativeBackpropFilter',
      ] as NativeOpName[],
    },
  };

  describe.each(Object.entries(models))('model.fit of a %s', (_name, spec) => {
    let data: {xs: tf.Tensor; ys: tf.Tensor};
    let float32: Run;
    beforeAll(async () => {
      data = dataset(spec.inputShape, 256, 100);
      float32 = await train(spec.build, spec.learningRate, data, null, spy);
    });
    afterAll(() => tf.dispose([data.xs, data.ys]));

    it.each(['float16', 'bfloat16'] as const)(
      'trains natively in %s to the loss of emulation, with no leaks',
      async (format) => {
        const emulated = await train(
          spec.build,
          spec.learningRate,
          data,
          {format, native: false},
          spy,
        );
        const native = await train(
          spec.build,
          spec.learningRate,
          data,
          {format, native: true},
          spy,
        );
        expect(emulated.halfOps).toEqual([]);
        // Exactly the ops that sum in float32 on this CPU ran natively, forward and backward.
        // (A product of matrices runs as MatMul where that sums in float32: runHalfProduct.)
        for (const listed of spec.ops) {
          const op = listed === 'BatchMatMulV2' ? productOp(format) : listed;
          const wide = accumulation(op, format) === 'wide';
          expect(native.halfOps.includes(op), `native ${format} ${op} (sums wide: ${wide})`).toBe(
            wide,
          );
        }
        const last = (r: Run) => r.losses.at(-1)!;
        // Training works: the loss falls well below its start, as in float32.
        expect(last(native)).toBeLessThan(native.losses[0]! * 0.9);
        expect(last(emulated)).toBeLessThan(emulated.losses[0]! * 0.9);
        expect(last(float32)).toBeLessThan(float32.losses[0]! * 0.9);
        // One step at the same weights agrees within the bound of one extra rounding per product.
        const n = oneStep(spec.build, data, {format, native: true});
        const e = oneStep(spec.build, data, {format, native: false});
        const bound = oneStepBound(format, spec.layers);
        const lossGap = Math.abs(n.loss - e.loss) / e.loss;
        const gradGaps = n.grads.map((g, i) => relativeDistance(g, e.grads[i]!));
        console.log(
          `${_name} ${format}: one step: loss ${(lossGap * 100).toFixed(3)}%, gradients ≤ ` +
            `${(Math.max(...gradGaps) * 100).toFixed(3)}% (bound ${(bound * 100).toFixed(2)}%); ` +
            `after 4 epochs: float32 ${last(float32).toPrecision(6)}, emulated ` +
            `${last(emulated).toPrecision(6)}, native ${last(native).toPrecision(6)}`,
        );
        expect(lossGap).toBeLessThanOrEqual(bound);
        for (const [i, gap] of gradGaps.entries()) {
          expect(gap, `gradient ${i}`).toBeLessThanOrEqual(bound);
        }
      },
    );
  });
});
