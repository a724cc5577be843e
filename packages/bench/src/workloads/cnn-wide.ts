import * as tf from '@tensorflow/tfjs';
import {MNIST_TOTAL} from '../data/mnist.js';
import {deriveSeed} from '../internal/prng.js';
import {MNIST_DATA_DESCRIPTION, mnistData} from './mnist-tensors.js';
import type {Workload} from './workload.js';

/**
 * A wider CNN on 28 × 28 × 1 MNIST digits, the shape of Keras's MNIST convnet: Conv 3×3×32 →
 * Conv 3×3×64 → MaxPool 2 → Flatten → Dense 10 softmax, batch 128, about 111 k parameters. Its
 * second convolution (24 × 24 × 64 outputs of 288 inputs each) carries most of the work, so it
 * shows what 16-bit convolutions cost where the small `cnn` (8 and 16 filters) is dominated by
 * overhead.
 */
export const cnnWideWorkload: Workload = Object.freeze<Workload>({
  name: 'cnn-wide',
  description: 'Conv3x3x32-Conv3x3x64-MaxPool-Dense10, ReLU, softmax',
  dataDescription: MNIST_DATA_DESCRIPTION,
  learningRate: 1e-3,
  batchSize: 128,
  maxExamples: MNIST_TOTAL,
  buildModel(seed: number): tf.LayersModel {
    const init = (i: number) => tf.initializers.glorotUniform({seed: deriveSeed(seed, i)});
    const model = tf.sequential({name: 'cnn-wide'});
    model.add(
      tf.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 32,
        kernelSize: 3,
        activation: 'relu',
        kernelInitializer: init(0),
      }),
    );
    model.add(
      tf.layers.conv2d({
        filters: 64,
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
