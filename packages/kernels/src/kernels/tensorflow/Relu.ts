import {type KernelConfig, type KernelFunc, Relu, type TensorInfo} from '@tensorflow/tfjs';
import {asNodeBackend} from '../../native/binding.js';
import {getComputeFormat} from '../../native/context.js';
import {sharedHalfFormat} from '../../native/half-cache.js';
import {runNativeOp} from '../../native/native-op.js';
import {originalKernel} from '../../native/overrides.js';
import {isElementwiseOpSupported} from '../../native/probe.js';

const backendName = 'tensorflow';

/**
 * Relu on a tensor held in the compute format: TF's Relu with `T = half | bfloat16` on its 16-bit
 * copy, the result again held only in 16 bits until float32 code reads it: an activation layer
 * between two native products then adds a 16-bit tensor to the step, not a float32 one.
 * `max(x, 0)` selects a value, so on rounded input the result is tfjs-node's float32 kernel's
 * bit for bit (NaN payloads, infinities, subnormals as TF flushes them; checked on all 65536
 * inputs of each format) except the sign of a zero: -0 and negative subnormals give -0 where the
 * float32 kernel mostly gives +0 (its own sign depends on the element's place in its vector
 * loop). Only inside a compute-format context, for an input known rounded that has a 16-bit
 * copy; everything else is tfjs-node's own kernel.
 */
export const relu: KernelFunc = (args) => {
  const x = args.inputs.x as TensorInfo;
  const node = asNodeBackend(args.backend);
  const format = getComputeFormat();
  if (
    node != null &&
    format != null &&
    sharedHalfFormat(node, [x]) === format &&
    isElementwiseOpSupported(node, 'Relu', format)
  ) {
    return runNativeOp(node, 'Relu', format, [], [x]);
  }
  return originalKernel(Relu, backendName)(args);
};

export const reluConfig: KernelConfig = {
  kernelName: Relu,
  backendName,
  kernelFunc: relu,
};
