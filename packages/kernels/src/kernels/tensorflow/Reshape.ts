import {type KernelConfig, type KernelFunc, Reshape, type TensorInfo} from '@tensorflow/tfjs';
import {recordReshape} from '../../native/half-cache.js';
import {originalKernel} from '../../native/overrides.js';

const backendName = 'tensorflow';

/**
 * tfjs-node's own Reshape, bit for bit, which also tells the cast cache that the result is its
 * input reshaped: tfjs's fused ops and layers reshape between the native kernels (a matMul
 * gradient reshaped back to its input's shape, a Dense layer's bias), and the result is then
 * known rounded and its 16-bit copy a reshape away, so `quantize` and the next native kernel cast
 * nothing.
 */
export const reshape: KernelFunc = (args) => {
  const out = originalKernel(Reshape, backendName)(args) as TensorInfo;
  recordReshape(args.inputs.x as TensorInfo, out);
  return out;
};

export const reshapeConfig: KernelConfig = {
  kernelName: Reshape,
  backendName,
  kernelFunc: reshape,
};
