import * as tf from '@tensorflow/tfjs';
import * as kernels from '@tfjs-amp/kernels';

/** The shape of `@tfjs-amp/kernels`'s `nativeMemory` (exported by newer versions). */
type NativeMemoryFn = (backend: unknown) => {readonly bytes: number; readonly handles: number};

/**
 * Bytes of the native 16-bit tensors `@tfjs-amp/kernels` keeps on the `tensorflow` backend beside
 * tfjs's own (its cast cache), which `tf.memory()` does not count. Null where the installed
 * kernels do not report them (no `nativeMemory` export) or the backend is not `tensorflow`.
 * @example nativeTensorBytes() // 4194304 after a mixed_bfloat16 step of w1 on tfjs-node
 */
export function nativeTensorBytes(): number | null {
  const fn = (kernels as unknown as Record<string, unknown>).nativeMemory;
  if (typeof fn !== 'function' || tf.getBackend() !== 'tensorflow') return null;
  const bytes = (fn as NativeMemoryFn)(tf.backend())?.bytes;
  return typeof bytes === 'number' && Number.isFinite(bytes) ? bytes : null;
}
