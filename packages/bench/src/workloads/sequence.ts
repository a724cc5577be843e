import * as tf from '@tensorflow/tfjs';
import {MNIST_TOTAL} from '../data/mnist.js';
import {deriveSeed} from '../internal/prng.js';
import {MNIST_DATA_DESCRIPTION, mnistData} from './mnist-tensors.js';
import type {Workload} from './workload.js';

/** LSTM width of the `sequence` workload. */
export const SEQUENCE_UNITS = 32;

/**
 * An LSTM reading each MNIST digit as a sequence of 28 rows of 28 pixels ("row-sequential
 * MNIST", a standard recurrent-network benchmark), then Dense 10 softmax. It uses real data
 * with no extra dependency: no package in this repository's dependencies ships a text corpus,
 * and a synthetic text task would say less about accuracy. Under a policy, the LSTM cell is
 * rounded at every timestep, so errors can accumulate along the sequence.
 */
export const sequenceWorkload: Workload = Object.freeze<Workload>({
  name: 'sequence',
  description: `LSTM(${SEQUENCE_UNITS}) over 28 rows of 28 pixels, Dense 10 softmax`,
  dataDescription: `${MNIST_DATA_DESCRIPTION}, read row by row as 28-step sequences`,
  maxExamples: MNIST_TOTAL,
  learningRate: 5e-3,
  buildModel(seed: number): tf.LayersModel {
    const model = tf.sequential({name: 'sequence'});
    model.add(
      tf.layers.lstm({
        inputShape: [28, 28],
        units: SEQUENCE_UNITS,
        kernelInitializer: tf.initializers.glorotUniform({seed: deriveSeed(seed, 0)}),
        recurrentInitializer: tf.initializers.orthogonal({seed: deriveSeed(seed, 1)}),
      }),
    );
    model.add(
      tf.layers.dense({
        units: 10,
        activation: 'softmax',
        kernelInitializer: tf.initializers.glorotUniform({seed: deriveSeed(seed, 2)}),
      }),
    );
    return model;
  },
  loadData: (options) => mnistData(options, [28, 28]),
});
