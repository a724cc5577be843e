import * as tf from '@tensorflow/tfjs';
import {expect} from 'vitest';

/** Live tensor counts: tfjs's own and, on tfjs-node, libtensorflow's native handles. */
export interface TensorCounts {
  numTensors: number;
  nativeHandles: number | null;
}

/**
 * @tfjs-amp/kernels' cast cache keeps a 16-bit handle beside some live float32 tensors on
 * tfjs-node; it publishes how many it holds under this symbol (see its `half-cache.ts`).
 */
const CACHE_HANDLES_HOOK = Symbol.for('@tfjs-amp/kernels:cast-cache-handles');

/**
 * Reads tfjs's tensor count and, on the `tensorflow` backend, the native handle count: the
 * handles libtensorflow holds, less those @tfjs-amp/kernels' cast cache keeps beside live
 * tensors (freed with them; a test of the cache counts them itself).
 */
export function tensorCounts(): TensorCounts {
  const backend = tf.backend() as unknown as {getNumOfTFTensors?: () => number};
  if (typeof backend.getNumOfTFTensors !== 'function') {
    return {numTensors: tf.memory().numTensors, nativeHandles: null};
  }
  const cached = (globalThis as Record<symbol, unknown>)[CACHE_HANDLES_HOOK] as
    | ((backend: unknown) => number)
    | undefined;
  return {
    numTensors: tf.memory().numTensors,
    nativeHandles: backend.getNumOfTFTensors() - (cached?.(backend) ?? 0),
  };
}

/**
 * Runs `body` and asserts it leaves no tensor behind (and no native handle on tfjs-node).
 * Returns what `body` returned; dispose returned tensors inside `body` or count them in `kept`.
 */
export async function expectNoLeaks<T>(body: () => T | Promise<T>, kept = 0): Promise<T> {
  const before = tensorCounts();
  const result = await body();
  const after = tensorCounts();
  expect(after.numTensors - before.numTensors, 'leaked tfjs tensors').toBe(kept);
  if (before.nativeHandles != null && after.nativeHandles != null) {
    expect(after.nativeHandles - before.nativeHandles, 'leaked native TF handles').toBe(kept);
  }
  return result;
}
