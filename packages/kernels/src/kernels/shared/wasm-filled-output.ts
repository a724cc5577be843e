import type {TensorInfo} from '@tensorflow/tfjs';
import {heapIndex, type WasmBackend} from './wasm-backend.js';

/**
 * A new float32 output of `shape` with every element `value`. The wasm backend's `makeOutput`
 * only mallocs, so its memory holds whatever an earlier tensor left there: every kernel whose
 * sums are empty (batch 0, an empty convolution output, inner dimension 0, an empty reduction)
 * must write its result, as the cpu backend's kernels do.
 */
export function filledOutput(
  backend: WasmBackend,
  shape: readonly number[],
  value: number,
): TensorInfo {
  const out = backend.makeOutput([...shape], 'float32');
  let size = 1;
  for (const d of shape) size *= d;
  if (size > 0) {
    // View taken after the malloc, which may have grown the heap and detached older views.
    const at = heapIndex(backend, out);
    backend.wasm.HEAPF32.fill(value, at, at + size);
  }
  return out;
}

/** A new float32 output of `shape` filled with zeros (see {@link filledOutput}). */
export function zerosOutput(backend: WasmBackend, shape: readonly number[]): TensorInfo {
  return filledOutput(backend, shape, 0);
}
