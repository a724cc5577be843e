import * as tf from '@tensorflow/tfjs';
import '@tfjs-amp/kernels';
import {LossScaleOptimizer} from '@tfjs-amp/loss-scale';
import {applyPolicy} from '@tfjs-amp/policy';
import {describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {expect, it} from 'vitest';
import {BUILT_IN_WORKLOADS, WORKLOAD_NAMES} from './index.js';

const SHAPES: Record<string, number[]> = {mlp: [784], cnn: [28, 28, 1], sequence: [28, 28]};

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

    it(`${name}: loads MNIST tensors in the model's shape`, async () => {
      await expectNoLeaks(async () => {
        const data = await workload.loadData({trainSize: 64, testSize: 32, seed: 0});
        expect(data.xTrain.shape).toEqual([64, ...SHAPES[name]!]);
        expect(data.yTrain.shape).toEqual([64, 10]);
        expect(data.xTest.shape).toEqual([32, ...SHAPES[name]!]);
        // One-hot rows sum to 1.
        const rowSums = tf.tidy(() => Array.from(data.yTest.sum(1).dataSync()));
        expect(rowSums).toEqual(new Array(32).fill(1));
        tf.dispose([data.xTrain, data.yTrain, data.xTest, data.yTest]);
      });
    });

    // The CNN on wasm needs the Conv2DBackpropFilter kernel @tfjs-amp/kernels registers.
    it(`${name}: trains a mixed_float16 step with loss scaling on ${backend}, leaking nothing`, async () => {
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
    });
  }
});
