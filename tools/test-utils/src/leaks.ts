import * as tf from '@tensorflow/tfjs';
import {expect} from 'vitest';

/** Live tensor counts: tfjs's own and, on tfjs-node, libtensorflow's native handles. */
export interface TensorCounts {
  numTensors: number;
  nativeHandles: number | null;
}

/** Reads tfjs's tensor count and, on the `tensorflow` backend, the native handle count. */
export function tensorCounts(): TensorCounts {
  const backend = tf.backend() as unknown as {getNumOfTFTensors?: () => number};
  return {
    numTensors: tf.memory().numTensors,
    nativeHandles:
      typeof backend.getNumOfTFTensors === 'function' ? backend.getNumOfTFTensors() : null,
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
