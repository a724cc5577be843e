import * as tf from '@tensorflow/tfjs';
import {
  type KernelConfig,
  type KernelFunc,
  Reshape,
  type ReshapeAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs';
import {asNodeBackend} from '../../native/binding.js';
import {recordReshape, reshapeDeferred} from '../../native/half-cache.js';
import {originalKernel} from '../../native/overrides.js';

const backendName = 'tensorflow';

/**
 * tfjs-node's own Reshape, bit for bit, which also tells the cast cache that the result is its
 * input reshaped: tfjs's fused ops and layers reshape between the native kernels (a matMul
 * gradient reshaped back to its input's shape, a Dense layer's bias), and the result is then
 * known rounded and its 16-bit copy a reshape away, so `quantize` and the next native kernel cast
 * nothing. A native output whose float32 data does not exist yet is reshaped in 16 bits.
 */
export const reshape: KernelFunc = (args) => {
  const x = args.inputs.x as TensorInfo;
  const node = asNodeBackend(args.backend);
  if (node != null) {
    const {shape} = args.attrs as unknown as ReshapeAttrs;
    // A native output with no float32 data yet stays that way.
    const deferred = reshapeDeferred(
      node,
      x,
      tf.util.inferFromImplicitShape(shape, tf.util.sizeFromShape(x.shape)),
    );
    if (deferred != null) return deferred;
  }
  const out = originalKernel(Reshape, backendName)(args) as TensorInfo;
  recordReshape(x, out);
  return out;
};

export const reshapeConfig: KernelConfig = {
  kernelName: Reshape,
  backendName,
  kernelFunc: reshape,
};
