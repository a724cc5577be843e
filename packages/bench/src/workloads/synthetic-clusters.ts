import * as tf from '@tensorflow/tfjs';
import {checkInteger} from '../internal/errors.js';
import {createRng, deriveSeed} from '../internal/prng.js';
import type {WorkloadData, WorkloadDataOptions} from './workload.js';

/** Shape of the synthetic task: its size and how far apart the classes are. */
export interface ClusterTask {
  /** Features per example. */
  readonly features: number;
  /** Classes (labels are one-hot). */
  readonly classes: number;
  /**
   * Standard deviation of each class mean's coordinates; the noise around a mean has standard
   * deviation 1. With 1024 features and 0.1, two class means lie about 4.5 noise deviations apart,
   * so classes overlap a little and held-out accuracy tops out near 90%, not at 100%.
   */
  readonly meanSpread: number;
}

/** Seed of the class means: the rule is the same in every run; `seed` draws the examples. */
const RULE_SEED = 0x5eed_c1a5;

/** Standard normal samples from a seeded uniform source (Box–Muller, both outputs used). */
function fillNormal(out: Float32Array, rng: () => number, scale: number): void {
  for (let i = 0; i < out.length; i += 2) {
    const u = 1 - rng(); // (0, 1]: log stays finite
    const r = Math.sqrt(-2 * Math.log(u)) * scale;
    const a = 2 * Math.PI * rng();
    out[i] = r * Math.cos(a);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(a);
  }
}

/**
 * Synthetic classification data with a learnable rule: each class has a fixed mean vector (drawn
 * once from N(0, meanSpread²) per coordinate, the same in every run), and an example is its
 * class mean plus unit Gaussian noise, with the class drawn uniformly. A network learns the rule
 * by telling the means apart; the overlap of the clouds bounds the reachable accuracy. `seed`
 * draws the examples and labels, training and held-out alike, with no example shared.
 * @throws RangeError when trainSize or testSize is not a positive integer.
 * @example syntheticClusters({trainSize: 8000, testSize: 2000, seed: 0}, {features: 1024, classes: 10, meanSpread: 0.1})
 */
export function syntheticClusters(options: WorkloadDataOptions, task: ClusterTask): WorkloadData {
  const {trainSize, testSize, seed} = options;
  checkInteger('syntheticClusters', 'trainSize', trainSize, 1);
  checkInteger('syntheticClusters', 'testSize', testSize, 1);
  const {features, classes, meanSpread} = task;
  const means = new Float32Array(classes * features);
  fillNormal(means, createRng(RULE_SEED), meanSpread);
  const make = (count: number, stream: number) => {
    const rng = createRng(deriveSeed(seed, stream));
    const x = new Float32Array(count * features);
    fillNormal(x, rng, 1);
    const labels = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const label = Math.min(classes - 1, Math.floor(rng() * classes));
      labels[i] = label;
      const row = i * features;
      const mean = label * features;
      for (let j = 0; j < features; j++) x[row + j]! += means[mean + j]!;
    }
    return {x, labels};
  };
  const train = make(trainSize, 9001);
  const test = make(testSize, 9002);
  return tf.tidy(() => {
    const oneHot = (labels: Int32Array) =>
      tf.oneHot(tf.tensor1d(labels, 'int32'), classes).toFloat();
    return {
      xTrain: tf.tensor2d(train.x, [trainSize, features]),
      yTrain: oneHot(train.labels),
      xTest: tf.tensor2d(test.x, [testSize, features]),
      yTest: oneHot(test.labels),
    };
  });
}
