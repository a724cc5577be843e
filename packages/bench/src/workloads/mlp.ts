import * as tf from '@tensorflow/tfjs';
import {MNIST_TOTAL} from '../data/mnist.js';
import {deriveSeed} from '../internal/prng.js';
import {MNIST_DATA_DESCRIPTION, mnistData} from './mnist-tensors.js';
import type {Workload} from './workload.js';

/** Hidden layer widths of the `mlp` workload. */
export const MLP_UNITS: readonly number[] = Object.freeze([128, 64]);

/** Multilayer perceptron on flattened MNIST digits: Dense 784-128-64-10, ReLU, softmax output. */
export const mlpWorkload: Workload = Object.freeze<Workload>({
  name: 'mlp',
  description: `Dense 784-${MLP_UNITS.join('-')}-10, ReLU, softmax`,
  dataDescription: MNIST_DATA_DESCRIPTION,
  maxExamples: MNIST_TOTAL,
  learningRate: 1e-3,
  buildModel(seed: number): tf.LayersModel {
    const model = tf.sequential({name: 'mlp'});
    MLP_UNITS.forEach((units, i) => {
      model.add(
        tf.layers.dense({
          units,
          activation: 'relu',
          kernelInitializer: tf.initializers.glorotUniform({seed: deriveSeed(seed, i)}),
          ...(i === 0 ? {inputShape: [784]} : {}),
        }),
      );
    });
    model.add(
      tf.layers.dense({
        units: 10,
        activation: 'softmax',
        kernelInitializer: tf.initializers.glorotUniform({
          seed: deriveSeed(seed, MLP_UNITS.length),
        }),
      }),
    );
    return model;
  },
  loadData: (options) => mnistData(options, [784]),
});
