import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectNoLeaks} from '@tfjs-amp/test-utils';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {ensureAmpKernels, nativeKernelSupport} from '../../src/index.js';
import type {FormatName} from '../../src/formats/format-spec.js';
import {applyMixed} from './mixed.js';
import {OpSpy, materialize, values} from './support.js';

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
 * Final-loss tolerance, native vs emulated, relative. Both round the same cast points; they
 * differ inside the matrix kernels only: native rounds each product sum to the format (bfloat16
 * truncated) and TF's CPU convolution gradients and depthwise kernels accumulate in the format,
 * while emulation sums in float32. Measured on this suite: ≤ 0.22% (float16), ≤ 1.05% (bfloat16,
 * whose truncated products bias every layer slightly toward zero).
 */
const LOSS_TOLERANCE: Readonly<Record<string, number>> = {float16: 0.01, bfloat16: 0.03};

describeBackends(['tensorflow'], () => {
  let spy: OpSpy;
  beforeAll(() => {
    ensureAmpKernels('tensorflow');
    nativeKernelSupport('float16');
    nativeKernelSupport('bfloat16');
    spy = new OpSpy();
  });
  afterAll(() => spy.restore());

  const models = {
    MLP: {build: mlp, learningRate: 0.05, inputShape: [32], backward: ['BatchMatMulV2']},
    CNN: {
      build: cnn,
      learningRate: 0.3,
      inputShape: [10, 10, 2],
      backward: [
        'Conv2DBackpropFilter',
        'Conv2DBackpropInput',
        'DepthwiseConv2dNativeBackpropFilter',
      ],
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
        for (const op of spec.backward) expect(native.halfOps, `native ${op}`).toContain(op);
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
