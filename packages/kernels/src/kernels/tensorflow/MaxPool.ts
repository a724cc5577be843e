import {type KernelConfig, type KernelFunc, MaxPool, type TensorInfo} from '@tensorflow/tfjs';
import {asNodeBackend} from '../../native/binding.js';
import {getComputeFormat} from '../../native/context.js';
import {sharedHalfFormat} from '../../native/half-cache.js';
import {runNativeOp} from '../../native/native-op.js';
import {originalKernel} from '../../native/overrides.js';
import {isElementwiseOpSupported} from '../../native/probe.js';
import {tfPoolAttrs} from '../shared/tensorflow-pool.js';

const backendName = 'tensorflow';

/**
 * MaxPool on a native output in the compute format: TF's MaxPool with `T = half | bfloat16` on
 * its 16-bit copy, so a CNN's activations stay 16-bit through its pooling layers (a max selects
 * values, so on rounded input the result is the same, bit for bit, as tfjs-node's float32
 * kernel). Only inside a compute-format context, for an input known rounded that has a 16-bit
 * copy; everything else is tfjs-node's own kernel.
 */
export const maxPool: KernelFunc = (args) => {
  const x = args.inputs.x as TensorInfo;
  const node = asNodeBackend(args.backend);
  const format = getComputeFormat();
  if (
    node != null &&
    format != null &&
    sharedHalfFormat(node, [x]) === format &&
    isElementwiseOpSupported(node, 'MaxPool', format)
  ) {
    const pool = tfPoolAttrs(node.binding, x.shape, args.attrs);
    if (pool != null) return runNativeOp(node, 'MaxPool', format, pool.attrs, [x]);
  }
  return originalKernel(MaxPool, backendName)(args);
};

export const maxPoolConfig: KernelConfig = {
  kernelName: MaxPool,
  backendName,
  kernelFunc: maxPool,
};
