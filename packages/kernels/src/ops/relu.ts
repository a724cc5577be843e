import * as tf from '@tensorflow/tfjs';
import type {Tensor} from '@tensorflow/tfjs';
import {describeValue, wrongType} from '../internal/errors.js';
import {ensureAmpKernels} from '../kernels/register-kernels.js';
import {reluBackward} from './relu-backward.js';

/**
 * `max(x, 0)`, tfjs's Relu kernel, with the gradient the fused ops (`fusedMatMul`,
 * `fusedConv2d`) give relu: one kernel on the saved output where the backend has it (tfjs-node:
 * TF's `ReluGrad`, in the format on 16-bit operands, so a mixed step's relu gradient stays 16-bit
 * for the next native product) in place of tfjs's `dy · step(x)` (a Step, a Cast and a Mul on
 * float32). The same values as `tf.relu` and its gradient, except the gradient where `x` is NaN:
 * 0 on tfjs-node (as TF, Keras and PyTorch), NaN elsewhere. What a mixed policy runs for an
 * `activation('relu')` layer on tfjs-node.
 * @throws TypeError when `x` is not a float32 tensor.
 * @example
 * const y = relu(x); // tf.grad(relu) runs one ReluGrad on tfjs-node
 */
export function relu<T extends Tensor>(x: T): T {
  if (!(x instanceof tf.Tensor) || x.dtype !== 'float32') {
    const got = x instanceof tf.Tensor ? `a tensor of dtype ${x.dtype}` : describeValue(x);
    throw wrongType('relu', 'x', 'a float32 tensor', got);
  }
  ensureAmpKernels(tf.getBackend());
  return forward(x) as T;
}

const forward = tf.customGrad(((x: Tensor, save: (tensors: Tensor[]) => void) => {
  const y = tf.relu(x);
  save([y]);
  return {
    value: y,
    gradFunc: (dy: Tensor, saved: Tensor[]) => reluBackward(dy, saved[0]!),
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: Tensor) => Tensor;
