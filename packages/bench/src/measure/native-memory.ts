import * as tf from '@tensorflow/tfjs';
import {nativeMemory} from '@tfjs-amp/kernels';

/**
 * Bytes of the native 16-bit tensors `@tfjs-amp/kernels` keeps on the `tensorflow` backend beside
 * tfjs's own (its cast cache, `nativeMemory()`), which `tf.memory()` does not count. Null on other
 * backends, where there are none.
 * @example nativeTensorBytes() // 4194304 after a mixed_bfloat16 step of w1 on tfjs-node
 */
export function nativeTensorBytes(): number | null {
  if (tf.getBackend() !== 'tensorflow') return null;
  return nativeMemory().bytes;
}
