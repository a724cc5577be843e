import * as tf from '@tensorflow/tfjs';
import {deriveSeed} from '../internal/prng.js';

/**
 * A multilayer perceptron: Dense layers of `hidden` units with ReLU, then a softmax over
 * `classes`, Glorot-uniform kernels seeded from `seed` (layer i uses stream i), zero biases.
 * The same seed gives the same initial weights.
 * @example denseStack('w1', 784, [1024, 1024], 10, 0).countParams() // 1,863,690
 */
export function denseStack(
  name: string,
  inputSize: number,
  hidden: readonly number[],
  classes: number,
  seed: number,
): tf.Sequential {
  const model = tf.sequential({name});
  const init = (i: number) => tf.initializers.glorotUniform({seed: deriveSeed(seed, i)});
  hidden.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        units,
        activation: 'relu',
        kernelInitializer: init(i),
        ...(i === 0 ? {inputShape: [inputSize]} : {}),
      }),
    );
  });
  model.add(
    tf.layers.dense({
      units: classes,
      activation: 'softmax',
      kernelInitializer: init(hidden.length),
      ...(hidden.length === 0 ? {inputShape: [inputSize]} : {}),
    }),
  );
  return model;
}
