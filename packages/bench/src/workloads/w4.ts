import type * as tf from '@tensorflow/tfjs';
import {denseStack} from './dense-stack.js';
import {type ClusterTask, syntheticClusters} from './synthetic-clusters.js';
import type {Workload} from './workload.js';

/** Hidden layer widths of the `w4` workload. */
export const W4_UNITS: readonly number[] = Object.freeze([4096, 4096]);

/** The synthetic task `w4` trains on: 1024 features, 10 classes. */
export const W4_TASK: ClusterTask = Object.freeze({features: 1024, classes: 10, meanSpread: 0.1});

/**
 * W4 of issue #10: an MLP 1024-4096-4096-10 (ReLU, softmax), batch 512, about 21 M parameters,
 * where the matrix products dominate a step. MNIST has 784 inputs, so it trains on synthetic
 * data with a learnable rule ({@link syntheticClusters}: ten Gaussian clusters in 1024
 * dimensions). Reference: PyTorch autocast bf16 takes 0.58–0.70× and Keras 3 mixed_bfloat16
 * 0.51–0.58× float32's step time on a CPU with AMX-BF16.
 */
export const w4Workload: Workload = Object.freeze<Workload>({
  name: 'w4',
  description: `Dense ${W4_TASK.features}-${W4_UNITS.join('-')}-${W4_TASK.classes}, ReLU, softmax`,
  dataDescription:
    `synthetic (no real data at this input size): ${W4_TASK.classes} Gaussian clusters in ` +
    `${W4_TASK.features} dimensions, fixed class means (N(0, ${W4_TASK.meanSpread}²) per ` +
    'coordinate) plus unit noise, seeded examples; the overlap caps accuracy near 90%',
  // 1e-3 overshoots at this width (the loss rises to 7.5 in four steps); 3e-4 reaches 75% held-out
  // accuracy after one epoch of 8000 examples and 87% after two.
  learningRate: 3e-4,
  batchSize: 512,
  buildModel: (seed: number): tf.LayersModel =>
    denseStack('w4', W4_TASK.features, W4_UNITS, W4_TASK.classes, seed),
  loadData: (options) => syntheticClusters(options, W4_TASK),
});
