import * as tf from '@tensorflow/tfjs';
import {MNIST_TOTAL} from '../data/mnist.js';
import {deriveSeed} from '../internal/prng.js';
import {MNIST_DATA_DESCRIPTION, mnistData} from './mnist-tensors.js';
import type {Workload} from './workload.js';

/**
 * Small convolutional network on 28 × 28 × 1 MNIST digits: Conv 3×3×8 → MaxPool 2 → Conv
 * 3×3×16 → MaxPool 2 → Flatten → Dense 10 softmax. Training it on wasm needs the
 * `Conv2DBackpropFilter` kernel that `@tfjs-amp/kernels` registers (tfjs-backend-wasm lacks it).
 */
export const cnnWorkload: Workload = Object.freeze<Workload>({
  name: 'cnn',
  description: 'Conv3x3x8-MaxPool-Conv3x3x16-MaxPool-Dense10, ReLU, softmax',
  dataDescription: MNIST_DATA_DESCRIPTION,
  maxExamples: MNIST_TOTAL,
  learningRate: 2e-3,
  buildModel(seed: number): tf.LayersModel {
    const init = (i: number) => tf.initializers.glorotUniform({seed: deriveSeed(seed, i)});
    const model = tf.sequential({name: 'cnn'});
    model.add(
      tf.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 8,
        kernelSize: 3,
        activation: 'relu',
        kernelInitializer: init(0),
      }),
    );
    model.add(tf.layers.maxPooling2d({poolSize: 2}));
    model.add(
      tf.layers.conv2d({
        filters: 16,
        kernelSize: 3,
        activation: 'relu',
        kernelInitializer: init(1),
      }),
    );
    model.add(tf.layers.maxPooling2d({poolSize: 2}));
    model.add(tf.layers.flatten());
    model.add(tf.layers.dense({units: 10, activation: 'softmax', kernelInitializer: init(2)}));
    return model;
  },
  loadData: (options) => mnistData(options, [28, 28, 1]),
});
