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
 * fused Adam (1e-3) and categorical cross-entropy, and one synthetic batch of `batch` examples
 * (normal features, one-hot labels over 10 classes, fixed seeds): what `bench:memory` and the
 * memory tests train, so both measure the same steps.
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
  const features = model.inputs[0]!.shape.slice(1) as number[];
  const x = tf.randomNormal([batch, ...features], 0, 1, 'float32', 1);
  const y = tf.tidy(() => tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 2), 10).toFloat());
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
