import * as tf from '@tensorflow/tfjs';
import {expectNoLeaks} from '@tfjs-amp/test-utils';
import {expect, it} from 'vitest';
import {GRATING_CLASSES, orientedGratings} from './oriented-gratings.js';
import {buildResnet} from './resnet.js';

it('builds a ResNet: 9 BatchNorms, 3 residual Adds, 1x1 projections, softmax over 10', async () => {
  await expectNoLeaks(() => {
    const model = buildResnet(0);
    const count = (cls: string) => model.layers.filter((l) => l.getClassName() === cls).length;
    expect(count('BatchNormalization')).toBe(9);
    expect(count('Add')).toBe(3);
    expect(count('Conv2D')).toBe(9);
    const kernels = model.layers
      .filter((l) => l.getClassName() === 'Conv2D')
      .map((l) => l.getWeights()[0]!.shape);
    expect(kernels).toContainEqual([1, 1, 8, 16]);
    expect(kernels).toContainEqual([1, 1, 16, 32]);
    expect(model.outputs[0]!.shape).toEqual([null, 10]);
    expect(model.countParams()).toBe(20_290);
    model.dispose();
  });
});

it('the grating data is seeded, balanced and labelled by orientation', () => {
  const a = orientedGratings({trainSize: 400, testSize: 20, seed: 1});
  const b = orientedGratings({trainSize: 400, testSize: 20, seed: 1});
  const c = orientedGratings({trainSize: 400, testSize: 20, seed: 2});
  expect(a.xTrain.shape).toEqual([400, 32, 32, 3]);
  expect(Array.from(a.xTrain.dataSync())).toEqual(Array.from(b.xTrain.dataSync()));
  expect(Array.from(a.xTrain.dataSync())).not.toEqual(Array.from(c.xTrain.dataSync()));
  const perClass = tf.tidy(() => Array.from(a.yTrain.sum(0).dataSync()));
  expect(perClass.length).toBe(GRATING_CLASSES);
  // 400 uniform draws over 10 classes: every class within 40 ± 25 (about 4 standard deviations).
  for (const n of perClass) expect(Math.abs(n - 40)).toBeLessThan(25);
  // Pixel variance: noise (0.8²) plus the grating's (colour² · cos², between 0.02 and 0.5).
  const variance = tf.tidy(() => tf.moments(a.xTrain).variance.dataSync()[0]!);
  expect(variance).toBeGreaterThan(0.8 ** 2);
  expect(variance).toBeLessThan(0.8 ** 2 + 1);
  for (const d of [a, b, c]) tf.dispose([d.xTrain, d.yTrain, d.xTest, d.yTest]);
});
