import * as tf from '@tensorflow/tfjs';
import type {KernelFunc, Scalar, Tensor, TensorInfo} from '@tensorflow/tfjs';
import {firstValue, HOST_MEMORY_BACKENDS, hostBackend, shareOutput} from './host-memory.js';

/** Name of the kernel behind {@link selectByFlag} on the cpu and wasm backends. */
export const AMP_SELECT_BY_FLAG = 'AmpSelectByFlag';

/** Returns `whenTrue` or `whenFalse` itself (a new reference, no copy) by the flag's value. */
const selectByFlagKernel: KernelFunc = ({inputs, backend}) => {
  const {flag, whenTrue, whenFalse} = inputs as Record<string, TensorInfo>;
  const host = hostBackend(backend);
  return shareOutput(host, firstValue(host, flag!) !== 0 ? whenTrue! : whenFalse!);
};

for (const backendName of HOST_MEMORY_BACKENDS) {
  if (tf.getKernel(AMP_SELECT_BY_FLAG, backendName) == null) {
    tf.registerKernel({
      kernelName: AMP_SELECT_BY_FLAG,
      backendName,
      kernelFunc: selectByFlagKernel,
    });
  }
}

/**
 * `flag ? whenTrue : whenFalse` for a bool scalar `flag` on the device, without reading it back:
 * bit for bit one of the two (NaN, Inf and -0 included). On backends with host memory (cpu,
 * wasm) a kernel returns the chosen tensor's data itself, with no copy and no elementwise pass
 * (tfjs's Select costs ~10 ns per element on wasm); elsewhere (webgl, webgpu, tensorflow)
 * `tf.where`. `whenTrue` and `whenFalse` have the same shape and dtype. The result is new.
 */
export function selectByFlag<T extends Tensor>(flag: Scalar, whenTrue: T, whenFalse: T): T {
  if (tf.getKernel(AMP_SELECT_BY_FLAG, tf.getBackend()) != null) {
    return tf.engine().runKernel(AMP_SELECT_BY_FLAG, {flag, whenTrue, whenFalse}) as T;
  }
  // tf.where broadcasts the flag with Tile: a shader on GPU backends.
  return tf.where(flag, whenTrue, whenFalse) as T;
}
