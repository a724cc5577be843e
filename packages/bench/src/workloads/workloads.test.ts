// The built-in workloads as a family (index.ts): the list and sizes, seeded weights, data shapes.
import * as tf from '@tensorflow/tfjs';
import '@tfjs-amp/kernels';
import {LossScaleOptimizer} from '@tfjs-amp/loss-scale';
import {applyPolicy} from '@tfjs-amp/policy';
import {describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {expect, it} from 'vitest';
import {BUILT_IN_WORKLOADS, WORKLOAD_NAMES} from './index.js';

const SHAPES: Record<string, number[]> = {
  mlp: [784],
  cnn: [28, 28, 1],
  'cnn-wide': [28, 28, 1],
  sequence: [28, 28],
  w1: [784],
  w4: [1024],
  resnet: [32, 32, 3],
  transformer: [24],
};

/** Classes where a workload has other than 10. */
const CLASSES: Record<string, number> = {transformer: 8};

/**
 * Workloads too large to train a step on tfjs's plain-JS cpu backend within a test's time (its
 * Conv2D backprop takes minutes at cnn-wide's 64 filters).
 */
const WASM_ONLY_STEP = new Set(['w4', 'cnn-wide', 'resnet']);

it('lists the built-in workloads, with the issue #10 sizes where set', () => {
  expect(WORKLOAD_NAMES).toEqual([
    'cnn',
    'cnn-wide',
    'mlp',
    'resnet',
    'sequence',
    'transformer',
    'w1',
    'w4',
  ]);
  expect(BUILT_IN_WORKLOADS.w1!.batchSize).toBe(256);
  expect(BUILT_IN_WORKLOADS.w4!.batchSize).toBe(512);
  expect(BUILT_IN_WORKLOADS.mlp!.batchSize).toBeUndefined(); // the quick suite keeps batch 64
  expect(BUILT_IN_WORKLOADS.w4!.maxExamples).toBeUndefined(); // synthetic: any number
});

it('builds W1 and W4 at the sizes of issue #10 and the wider CNN', async () => {
  await expectNoLeaks(async () => {
    const sizes: Record<string, [number, number[][]]> = {
      w1: [1_863_690, [[784, 1024], [1024], [1024, 1024], [1024], [1024, 10], [10]]],
      w4: [21_020_682, [[1024, 4096], [4096], [4096, 4096], [4096], [4096, 10], [10]]],
      'cnn-wide': [110_986, [[3, 3, 1, 32], [32], [3, 3, 32, 64], [64], [9216, 10], [10]]],
    };
    for (const [name, [params, shapes]] of Object.entries(sizes)) {
      const model = await BUILT_IN_WORKLOADS[name]!.buildModel(0);
      expect(model.countParams(), name).toBe(params);
      expect(
        model.getWeights().map((w) => w.shape),
        name,
      ).toEqual(shapes);
      const last = model.layers[model.layers.length - 1]!.getConfig();
      expect(last.activation, name).toBe('softmax');
      model.dispose();
    }
  });
});

describeBackends(['wasm', 'cpu'], (backend) => {
  for (const name of WORKLOAD_NAMES) {
    const workload = BUILT_IN_WORKLOADS[name]!;

    it(`${name}: the same seed builds the same weights, another seed different ones`, async () => {
      await expectNoLeaks(async () => {
        const a = await workload.buildModel(3);
        const b = await workload.buildModel(3);
        const c = await workload.buildModel(4);
        const wa = a.getWeights().map((w) => w.dataSync() as Float32Array);
        for (const [i, w] of b.getWeights().entries()) {
          expectBitsEqual(w.dataSync(), wa[i]!, `weight ${i}`);
        }
        const kernel = c.getWeights()[0]!.dataSync();
        expect(Array.from(kernel)).not.toEqual(Array.from(wa[0]!));
        a.dispose();
        b.dispose();
        c.dispose();
      });
    });

    it(`${name}: loads its tensors in the model's shape`, async () => {
      await expectNoLeaks(async () => {
        const data = await workload.loadData({trainSize: 64, testSize: 32, seed: 0});
        expect(data.xTrain.shape).toEqual([64, ...SHAPES[name]!]);
        expect(data.yTrain.shape).toEqual([64, CLASSES[name] ?? 10]);
        expect(data.xTest.shape).toEqual([32, ...SHAPES[name]!]);
        // One-hot rows sum to 1.
        const rowSums = tf.tidy(() => Array.from(data.yTest.sum(1).dataSync()));
        expect(rowSums).toEqual(new Array(32).fill(1));
        tf.dispose([data.xTrain, data.yTrain, data.xTest, data.yTest]);
      });
    });

    // The CNN on wasm needs the Conv2DBackpropFilter kernel @tfjs-amp/kernels registers.
    it.skipIf(backend === 'cpu' && WASM_ONLY_STEP.has(name))(
      `${name}: trains a mixed_float16 step with loss scaling on ${backend}, leaking nothing`,
      async () => {
        const data = await workload.loadData({trainSize: 16, testSize: 8, seed: 0});
        const model = await workload.buildModel(0);
        applyPolicy(model, 'mixed_float16');
        const optimizer = new LossScaleOptimizer(tf.train.adam(workload.learningRate));
        model.compile({optimizer, loss: 'categoricalCrossentropy'});
        await model.trainOnBatch(data.xTrain, data.yTrain); // creates the optimizer slots
        const before = model.getWeights()[0]!.dataSync().slice();
        const loss = await expectNoLeaks(() => model.trainOnBatch(data.xTrain, data.yTrain));
        expect(Number.isFinite(loss as number)).toBe(true);
        expect(Array.from(model.getWeights()[0]!.dataSync())).not.toEqual(Array.from(before));
        optimizer.dispose();
        model.dispose();
        tf.dispose([data.xTrain, data.yTrain, data.xTest, data.yTest]);
      },
    );
  }
});
