import * as tf from '@tensorflow/tfjs';
import {expectNoLeaks} from '@tfjs-amp/test-utils';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {getFormat} from '../../src/formats/index.js';
import {wgslDispatchCounts} from '../../src/kernels/webgpu/wgsl/wgsl-program.js';
import {applyMixed} from '../tensorflow/mixed.js';
import {values} from '../tensorflow/support.js';
import {describeWithWebGPU, useWebGPU, webgpuDataIds} from './support.js';

const init = (seed: number) => tf.initializers.glorotUniform({seed});

/** Dense layers: _FusedMatMul forward (bias + relu fused), BatchMatMul backward. */
function mlp(): tf.LayersModel {
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

/** FusedConv2D, FusedDepthwiseConv2D, a strided conv, and their backprops. */
function cnn(): tf.LayersModel {
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

function dataset(inputShape: number[], n: number, seed: number): {xs: tf.Tensor; ys: tf.Tensor} {
  const size = inputShape.reduce((a, b) => a * b, 1);
  const xs = tf.tensor(values(n * size, seed, 'float32'), [n, ...inputShape]);
  const w = tf.tensor(values(size, seed + 1, 'float32'), [size, 1]);
  const ys = tf.tidy(() => tf.tanh(tf.matMul(tf.reshape(xs, [n, size]), w)));
  w.dispose();
  return {xs, ys};
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

/** Loss and weight gradients of one batch at `build()`'s initial weights, in layer order. */
async function oneStep(
  build: () => tf.LayersModel,
  data: {xs: tf.Tensor; ys: tf.Tensor},
  native: boolean,
): Promise<{loss: number; grads: Float32Array[]}> {
  const model = build();
  const undo = applyMixed(model, 'float16', native);
  try {
    const [value, grads] = tf.tidy(() => {
      const xs = data.xs.slice(0, 32);
      const ys = data.ys.slice(0, 32);
      const variables = model.trainableWeights.map((w) => (w as unknown as {val: tf.Variable}).val);
      const r = tf.variableGrads(
        () => tf.losses.meanSquaredError(ys, model.apply(xs) as tf.Tensor) as tf.Scalar,
        variables,
      );
      return [r.value, variables.map((v) => r.grads[v.name]!)] as const;
    });
    const out = {
      loss: (await value.data())[0]!,
      grads: await Promise.all(grads.map(async (g) => (await g.data()) as Float32Array)),
    };
    tf.dispose([value, ...grads]);
    return out;
  } finally {
    undo();
    model.dispose();
  }
}

await describeWithWebGPU('model.fit in float16 on webgpu (WGSL kernels)', () => {
  beforeAll(useWebGPU);

  const models = {
    MLP: {
      build: mlp,
      layers: 3,
      learningRate: 0.05,
      inputShape: [32],
      kernels: ['AmpFusedMatMulF16', 'AmpMatMulF16'],
    },
    CNN: {
      build: cnn,
      layers: 5,
      learningRate: 0.3,
      inputShape: [10, 10, 2],
      kernels: [
        'AmpFusedConvforwardF16',
        'AmpConvDepthwiseforwardF16',
        'AmpConvinputF16',
        'AmpConvfilterF16',
        'AmpConvDepthwiseinputF16',
        'AmpConvDepthwisefilterF16',
      ],
    },
  };

  describe.each(Object.entries(models))('%s', (_name, spec) => {
    let data: {xs: tf.Tensor; ys: tf.Tensor};
    beforeAll(() => {
      data = dataset(spec.inputShape, 256, 100);
    });
    afterAll(() => tf.dispose([data.xs, data.ys]));

    it('one step: loss and gradients within 8·layers·2^-10 of emulation (one extra rounding per product)', async () => {
      const emulated = await oneStep(spec.build, data, false);
      const before = new Map(wgslDispatchCounts());
      const native = await oneStep(spec.build, data, true);
      for (const kernel of spec.kernels) {
        const runs = (wgslDispatchCounts().get(kernel) ?? 0) - (before.get(kernel) ?? 0);
        expect(runs, `${kernel} dispatches in the native step`).toBeGreaterThan(0);
      }
      // Native rounds each product once more than emulation (to float16, at most 2^-11 relative),
      // in the forward and both backward products of each layer: 2·layers·2^-10 to first order,
      // times 4 for the network's amplification (the bound of the tfjs-node suite).
      const bound = 8 * spec.layers * 2 ** -getFormat('float16').mantissaBits;
      expect(Math.abs(native.loss - emulated.loss) / Math.abs(emulated.loss)).toBeLessThanOrEqual(
        bound,
      );
      native.grads.forEach((g, i) => {
        expect(relativeDistance(g, emulated.grads[i]!), `gradient ${i}`).toBeLessThanOrEqual(bound);
      });
      // (They are often bit-identical: emulation rounds every product's output and every
      // gradient to float16 at the cast points, so the two differ only by the float32 summation
      // order and the epilogue's double rounding.)
    });

    it('trains with the WGSL kernels forward and backward, no leaks, no device loss', async () => {
      const model = spec.build();
      model.compile({optimizer: tf.train.sgd(spec.learningRate), loss: 'meanSquaredError'});
      const undo = applyMixed(model, 'float16', true);
      try {
        // A warm-up epoch creates what fit keeps for good; the measured run adds nothing.
        await model.fit(data.xs, data.ys, {epochs: 1, batchSize: 256, shuffle: false, verbose: 0});
        const ids = webgpuDataIds();
        const before = new Map(wgslDispatchCounts());
        const history = await expectNoLeaks(() =>
          model.fit(data.xs, data.ys, {epochs: 4, batchSize: 32, shuffle: false, verbose: 0}),
        );
        const losses = history.history.loss as number[];
        expect(webgpuDataIds(), 'webgpu data ids').toBe(ids);
        // 4 epochs of 8 steps: every kernel ran at least once per step.
        for (const kernel of spec.kernels) {
          const runs = (wgslDispatchCounts().get(kernel) ?? 0) - (before.get(kernel) ?? 0);
          expect(runs, `${kernel} dispatches`).toBeGreaterThanOrEqual(32);
        }
        expect(losses.every(Number.isFinite)).toBe(true);
        const device = (tf.engine().backend as unknown as {device: {lost: Promise<unknown>}})
          .device;
        const lost = await Promise.race([device.lost.then(() => true), Promise.resolve(false)]);
        expect(lost, 'device lost').toBe(false);
        expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.8);
      } finally {
        undo();
        model.dispose();
      }
    });
  });
});
