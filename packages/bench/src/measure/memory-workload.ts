import * as tf from '@tensorflow/tfjs';
import {fuseOptimizer} from '@tfjs-amp/optimizers';
import {type PolicyName, applyPolicy} from '@tfjs-amp/policy';
import {BUILT_IN_WORKLOADS} from '../workloads/index.js';

/** A model and one batch to train it on, as the memory measurements use them. */
export interface MemoryWorkload {
  readonly model: tf.LayersModel;
  readonly x: tf.Tensor;
  readonly y: tf.Tensor;
  /** Frees the batch, the optimizer and the model. */
  dispose(): void;
}

/**
 * The built-in workload `name` (seed 0) under `policy` (float32: none applied), compiled with
 * fused Adam (1e-3) and categorical cross-entropy, and its first `batch` training examples (the
 * workload's own data, seed 0): what `bench:memory` and the memory tests train, so both measure
 * the same steps.
 */
export async function memoryWorkload(
  name: string,
  policy: PolicyName,
  batch: number,
): Promise<MemoryWorkload> {
  const workload = BUILT_IN_WORKLOADS[name];
  if (workload == null) {
    throw new Error(
      `memoryWorkload: workload must be one of ${Object.keys(BUILT_IN_WORKLOADS).join(', ')}; got ${name}`,
    );
  }
  const model = await workload.buildModel(0);
  if (policy !== 'float32') applyPolicy(model, policy);
  model.compile({optimizer: fuseOptimizer(tf.train.adam(1e-3)), loss: 'categoricalCrossentropy'});
  const data = await workload.loadData({trainSize: batch, testSize: 1, seed: 0});
  tf.dispose([data.xTest, data.yTest]);
  const {xTrain: x, yTrain: y} = data;
  return {
    model,
    x,
    y,
    dispose() {
      tf.dispose([x, y]);
      model.optimizer.dispose();
      model.dispose();
    },
  };
}
