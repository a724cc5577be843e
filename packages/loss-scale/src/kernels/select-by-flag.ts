import * as tf from '@tensorflow/tfjs';
import type {KernelConfig, KernelFunc, Scalar, Tensor, TensorInfo} from '@tensorflow/tfjs';
import {firstValue, HOST_MEMORY_BACKENDS, hostBackend, shareOutput} from './host-memory.js';

/** Name of the kernel behind {@link selectByFlag} on the cpu and wasm backends. */
export const AMP_SELECT_BY_FLAG = 'AmpSelectByFlag';

/** Returns `whenTrue` or `whenFalse` itself (a new reference, no copy) by the flag's value. */
const selectByFlagKernel: KernelFunc = ({inputs, backend}) => {
  const {flag, whenTrue, whenFalse} = inputs as Record<string, TensorInfo>;
  const host = hostBackend(backend);
  return shareOutput(host, firstValue(host, flag!) !== 0 ? whenTrue! : whenFalse!);
};

/** The kernel configs registered on import, one per host-memory backend. */
export const SELECT_BY_FLAG_CONFIGS: readonly KernelConfig[] = Object.freeze(
  HOST_MEMORY_BACKENDS.map((backendName) => ({
    kernelName: AMP_SELECT_BY_FLAG,
    backendName,
    kernelFunc: selectByFlagKernel,
  })),
);

for (const config of SELECT_BY_FLAG_CONFIGS) {
  if (tf.getKernel(config.kernelName, config.backendName) == null) tf.registerKernel(config);
}

/**
 * `flag ? whenTrue : whenFalse` for a bool scalar `flag` on the device, without reading it back:
 * bit for bit one of the two (NaN, Inf and -0 included). On backends with host memory (cpu,
 * wasm) a kernel returns the chosen tensor's data itself, with no copy and no elementwise pass
 * (tfjs's Select costs ~10 ns per element on wasm); elsewhere (webgl, webgpu, tensorflow)
 * `tf.where`, with the flag broadcast once per shape when `conditions` (a cache the caller keeps
 * for one step, inside its `tf.tidy`) is given. `whenTrue` and `whenFalse` have the same shape
 * and dtype. The result is new.
 */
export function selectByFlag<T extends Tensor>(
  flag: Scalar,
  whenTrue: T,
  whenFalse: T,
  conditions?: Map<string, Tensor>,
): T {
  if (tf.getKernel(AMP_SELECT_BY_FLAG, tf.getBackend()) != null) {
    return tf.engine().runKernel(AMP_SELECT_BY_FLAG, {flag, whenTrue, whenFalse}) as T;
  }
  // The flag broadcast to the shape (Tile: a shader on GPU backends), once per shape when the
  // caller keeps `conditions` for the step.
  const key = whenTrue.shape.join(',');
  let condition = conditions?.get(key);
  if (condition == null) {
    condition = whenTrue.rank === 0 ? flag : tf.broadcastTo(flag, whenTrue.shape);
    conditions?.set(key, condition);
  }
  return tf.where(condition, whenTrue, whenFalse) as T;
}
