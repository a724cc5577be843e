import type * as tf from '@tensorflow/tfjs';

/** Training and held-out tensors of a workload; labels are one-hot float32. */
export interface WorkloadData {
  /** Training inputs; the first axis counts examples. */
  readonly xTrain: tf.Tensor;
  /** One-hot training labels, `[examples, classes]`. */
  readonly yTrain: tf.Tensor;
  /** Held-out inputs, never trained on. */
  readonly xTest: tf.Tensor;
  /** One-hot held-out labels. */
  readonly yTest: tf.Tensor;
}

/** What {@link Workload.loadData} is asked for. */
export interface WorkloadDataOptions {
  /** Training examples wanted. */
  readonly trainSize: number;
  /** Held-out examples wanted. */
  readonly testSize: number;
  /** Seed for any split or shuffle the loader makes. */
  readonly seed: number;
}

/**
 * A classification task the bench can train under every policy: a model factory and its data.
 * The bench builds the model once, copies its initial weights into one fresh model per policy
 * (so float32 and mixed runs start from identical weights), compiles each with Adam and
 * categorical cross-entropy, and trains them on the same batches.
 *
 * A user workload is a module whose default export (or `workload` export) is such an object;
 * pass its path to `--workload`.
 * @example
 * export default {
 *   name: 'my-mlp',
 *   description: 'Dense 784-64-10',
 *   dataDescription: 'MNIST digits',
 *   learningRate: 1e-3,
 *   buildModel: (seed) => myModel(seed),
 *   loadData: ({trainSize, testSize, seed}) => myTensors(trainSize, testSize, seed),
 * } satisfies Workload;
 */
export interface Workload {
  /** Short name shown in tables (`mlp`). */
  readonly name: string;
  /** One line about the model (`Dense 784-128-64-10, ReLU`). */
  readonly description: string;
  /** One line about the data and where it comes from. */
  readonly dataDescription: string;
  /** The optimizer's learning rate. */
  readonly learningRate: number;
  /**
   * `adam` (tfjs's, default) or `adamw` (`@tfjs-amp/optimizers`, Keras 3's AdamW with its default
   * weight decay 0.004), as the seed's experiments train their ResNet and Transformer.
   */
  readonly optimizer?: 'adam' | 'adamw';
  /**
   * Examples per batch when the suite's `batchSize` (`--batch`) is not given. Default 64.
   * Large models set their own (`w1`: 256, `w4`: 512), as the step time only means something at
   * the batch size the model is trained with.
   */
  readonly batchSize?: number;
  /**
   * Training plus held-out examples the data source holds (MNIST: 10,000); absent when it can
   * make any number (synthetic data).
   */
  readonly maxExamples?: number;
  /** Builds a new, uncompiled model. The same seed must give the same initial weights. */
  buildModel(seed: number): tf.LayersModel | Promise<tf.LayersModel>;
  /** Loads the data as tensors; the bench disposes them when the workload is done. */
  loadData(options: WorkloadDataOptions): WorkloadData | Promise<WorkloadData>;
}
