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
import {applyMixed} from './mixed.js';
import {accumulation, OpSpy, materialize, values} from './support.js';

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
 * Final-loss tolerance, native vs emulated, relative. The native run uses the `accurate` dispatch:
 * only kernels that sum in float32 run natively (each op's accumulation is probed exactly on this
 * CPU; TF's float16 convolution gradients sum in float16 on CPUs without AVX512-FP16, and its
 * oneDNN float16 kernels may on CPUs with it: those run in float32 and are emulated). Both runs
 * then round the same cast points and sum in float32; they differ only in that native rounds each
 * product sum to the format once more (bfloat16 possibly truncated) before the float32 epilogue,
 * an error of at most one unit of the format per layer output, which SGD averages out over 4
 * epochs. 1% (float16, u = 2^-11) and 3% (bfloat16, u = 2^-8, truncation biased toward zero) are
 * about 20u and 8u relative to the loss. Measured on AVX2 and on AVX512-BF16 CPUs: ≤ 0.22% and
 * ≤ 1.05%.
 */
const LOSS_TOLERANCE: Readonly<Record<string, number>> = {float16: 0.01, bfloat16: 0.03};

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
      learningRate: 0.05,
      inputShape: [32],
      ops: ['BatchMatMulV2'] as NativeOpName[],
    },
    CNN: {
      build: cnn,
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
        for (const op of spec.ops) {
          const wide = accumulation(op, format) === 'wide';
          expect(native.halfOps.includes(op), `native ${format} ${op} (sums wide: ${wide})`).toBe(
            wide,
          );
        }
        const last = (r: Run) => r.losses.at(-1)!;
        // Training works: the loss falls well below its start, as in float32.
        expect(last(native)).toBeLessThan(native.losses[0]! * 0.9);
        expect(last(float32)).toBeLessThan(float32.losses[0]! * 0.9);
        const gap = Math.abs(last(native) - last(emulated)) / last(emulated);
        console.log(
          `${_name} ${format}: float32 ${last(float32).toPrecision(6)}, emulated ${last(emulated).toPrecision(6)}, ` +
            `native ${last(native).toPrecision(6)}, native vs emulated ${(gap * 100).toFixed(3)}%`,
        );
        expect(gap).toBeLessThanOrEqual(LOSS_TOLERANCE[format]!);
      },
    );
  });
});
