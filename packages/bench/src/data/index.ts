/**
 * `@tfjs-amp/bench/data`: the data the built-in workloads train on, for apps and examples that
 * want the same split — the `mnist` package's 10,000 real digits (no network), split with a seed,
 * as arrays (`loadMnist`) or tensors (`mnistData`). Node only (reads the package's files). Kept
 * out of the main entry, which is about benchmarking.
 */
export {
  DEFAULT_MNIST_OPTIONS,
  loadMnist,
  MNIST_CLASSES,
  MNIST_IMAGE_SIZE,
  MNIST_TOTAL,
} from './mnist.js';
export type {LabeledImages, MnistOptions, MnistSplit} from './mnist.js';
export {mnistData} from '../workloads/mnist-tensors.js';
