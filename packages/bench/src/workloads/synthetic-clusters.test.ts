import * as tf from '@tensorflow/tfjs';
import {expectNoLeaks, useBackend} from '@tfjs-amp/test-utils';
import {beforeAll, describe, expect, it} from 'vitest';
import {syntheticClusters} from './synthetic-clusters.js';
import {W4_TASK} from './w4.js';

beforeAll(() => useBackend('cpu'));

function arrays(seed: number, trainSize = 2000, testSize = 500) {
  const d = syntheticClusters({trainSize, testSize, seed}, W4_TASK);
  const out = {
    xTrain: d.xTrain.dataSync() as Float32Array,
    yTrain: tf.tidy(() => d.yTrain.argMax(-1).dataSync() as Int32Array),
    xTest: d.xTest.dataSync() as Float32Array,
    yTest: tf.tidy(() => d.yTest.argMax(-1).dataSync() as Int32Array),
  };
  tf.dispose([d.xTrain, d.yTrain, d.xTest, d.yTest]);
  return out;
}

describe('syntheticClusters (the data of w4)', () => {
  it('gives tensors of the asked sizes, the same for the same seed, leaking nothing', async () => {
    await expectNoLeaks(async () => {
      const d = syntheticClusters({trainSize: 64, testSize: 16, seed: 3}, W4_TASK);
      expect(d.xTrain.shape).toEqual([64, 1024]);
      expect(d.yTrain.shape).toEqual([64, 10]);
      expect(d.xTest.shape).toEqual([16, 1024]);
      expect(d.yTest.shape).toEqual([16, 10]);
      tf.dispose([d.xTrain, d.yTrain, d.xTest, d.yTest]);
    });
    const a = arrays(3, 64, 16);
    const b = arrays(3, 64, 16);
    const c = arrays(4, 64, 16);
    expect(Array.from(a.xTrain)).toEqual(Array.from(b.xTrain));
    expect(Array.from(a.xTrain)).not.toEqual(Array.from(c.xTrain));
  });

  it('follows a learnable rule: nearest class mean from training data classifies held-out data', () => {
    const {features, classes} = W4_TASK;
    const {xTrain, yTrain, xTest, yTest} = arrays(0);
    const means = new Float64Array(classes * features);
    const counts = new Array<number>(classes).fill(0);
    yTrain.forEach((label, i) => {
      counts[label]!++;
      for (let j = 0; j < features; j++) means[label * features + j]! += xTrain[i * features + j]!;
    });
    for (let c = 0; c < classes; c++) {
      for (let j = 0; j < features; j++) means[c * features + j]! /= counts[c]!;
    }
    // Every class occurs (labels are drawn uniformly: 200 expected per class of 2000).
    expect(Math.min(...counts)).toBeGreaterThan(120);
    let correct = 0;
    yTest.forEach((label, i) => {
      let best = 0;
      let bestDistance = Number.POSITIVE_INFINITY;
      for (let c = 0; c < classes; c++) {
        let d = 0;
        for (let j = 0; j < features; j++) {
          const diff = xTest[i * features + j]! - means[c * features + j]!;
          d += diff * diff;
        }
        if (d < bestDistance) {
          bestDistance = d;
          best = c;
        }
      }
      if (best === label) correct++;
    });
    // Chance is about 10%. The class means lie ~4.5 noise deviations apart, so a classifier that
    // learned them does far better; noisy means from 200 examples a class still reach well over 70%.
    expect(correct / yTest.length).toBeGreaterThan(0.7);
    expect(correct / yTest.length).toBeLessThan(1);
  });

  it('names a bad size', () => {
    expect(() => syntheticClusters({trainSize: 0, testSize: 1, seed: 0}, W4_TASK)).toThrow(
      'syntheticClusters: trainSize must be an integer ≥ 1; got 0.',
    );
  });
});
