import {
  Cast,
  type CastAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import {asNodeBackend} from '../../native/binding.js';
import {originalKernel} from '../../native/overrides.js';

const backendName = 'tensorflow';

/**
 * A cast to the dtype `x` already has returns `x`'s data, as tfjs's cpu backend does; tfjs-node's
 * own runs a TF Cast (which passes the buffer through) and so reads `x`'s float32 data: a native
 * output held only in 16 bits (`tf.moments` casts its input to float32) would get a float32 copy
 * for as long as the result lives. Other casts: tfjs-node's kernel.
 */
export const cast: KernelFunc = (args) => {
  const {x} = args.inputs as {x: TensorInfo};
  const {dtype} = args.attrs as unknown as CastAttrs;
  const node = asNodeBackend(args.backend);
  if (node == null || x.dtype !== dtype || dtype === 'string') {
    return originalKernel(Cast, backendName)(args);
  }
  (node as unknown as {incRef(dataId: object): void}).incRef(x.dataId as object);
  return {dataId: x.dataId, shape: x.shape, dtype: x.dtype};
};

export const castConfig: KernelConfig = {
  kernelName: Cast,
  backendName,
  kernelFunc: cast,
};
