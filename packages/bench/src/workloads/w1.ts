import type * as tf from '@tensorflow/tfjs';
import {MNIST_TOTAL} from '../data/mnist.js';
import {denseStack} from './dense-stack.js';
import {MNIST_DATA_DESCRIPTION, mnistData} from './mnist-tensors.js';
import type {Workload} from './workload.js';

/** Hidden layer widths of the `w1` workload. */
export const W1_UNITS: readonly number[] = Object.freeze([1024, 1024]);

/**
 * W1 of issue #10: an MLP 784-1024-1024-10 (ReLU, softmax) on MNIST digits, batch 256, about
 * 1.86 M parameters: large enough that the matrix products, not per-op overhead, set the step
 * time, so 16-bit compute units can show. The reference point: PyTorch autocast bf16 and Keras 3
 * mixed_bfloat16 take 0.63–0.72× float32's step time on a CPU with AMX-BF16.
 */
export const w1Workload: Workload = Object.freeze<Workload>({
  name: 'w1',
  description: `Dense 784-${W1_UNITS.join('-')}-10, ReLU, softmax`,
  dataDescription: MNIST_DATA_DESCRIPTION,
  learningRate: 1e-3,
  batchSize: 256,
  maxExamples: MNIST_TOTAL,
  buildModel: (seed: number): tf.LayersModel => denseStack('w1', 784, W1_UNITS, 10, seed),
  loadData: (options) => mnistData(options, [784]),
});
