import * as tf from '@tensorflow/tfjs';
import type {KernelConfig, KernelFunc, TensorInfo, UnsortedSegmentSumAttrs} from '@tensorflow/tfjs';
import {heapIndex, type WasmBackend} from '../shared/wasm-backend.js';
import {zerosOutput} from '../shared/wasm-filled-output.js';

const backendName = 'wasm';

/**
 * Sum of the rows of `x` by segment, missing from tfjs-backend-wasm, where it is the gradient of
 * `Gather` (so Embedding layers could not train there): out[s, …] = Σ_{i : segmentIds[i] = s}
 * x[i, …] for s in [0, numSegments), output `[numSegments, ...x.shape.slice(1)]`, float32 as on
 * the cpu backend (int32 `x` is summed into float32 too). Ids outside [0, numSegments) are
 * skipped, as the cpu kernel's masks skip them. One pass over the rows on the wasm heap; each
 * output element adds its rows in row order, the order of the cpu kernel's masked sum, so results
 * agree to float32 rounding. With no rows, or `numSegments` 0, the output is zeros (or empty).
 * @throws RangeError when `segmentIds` is not 1-D with one id per row of `x` (tfjs's Gather
 * gradient always passes that); the message gives both shapes.
 */
export const unsortedSegmentSum: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, segmentIds} = inputs as {x: TensorInfo; segmentIds: TensorInfo};
  const {numSegments} = attrs as unknown as UnsortedSegmentSumAttrs;
  const wasm = backend as unknown as WasmBackend;
  const rows = x.shape[0] ?? 1;
  if (x.shape.length === 0 || segmentIds.shape.length !== 1 || segmentIds.shape[0] !== rows) {
    throw new RangeError(
      `UnsortedSegmentSum (wasm): segmentIds must be 1-D with one id per row of x; got x [${x.shape.join(', ')}] and segmentIds [${segmentIds.shape.join(', ')}]. Flatten both to [rows] and [rows, ...] first.`,
    );
  }
  const rowShape = x.shape.slice(1);
  let inner = 1;
  for (const d of rowShape) inner *= d;
  const out = zerosOutput(wasm, [numSegments, ...rowShape]);
  if (rows === 0 || inner === 0 || numSegments === 0) return out;

  // Views after the output's malloc, which may have grown the heap and detached older views.
  const heap = wasm.wasm.HEAPF32;
  const ids = new Int32Array(heap.buffer, heapIndex(wasm, segmentIds) * 4, rows);
  const values =
    x.dtype === 'int32'
      ? new Int32Array(heap.buffer, heapIndex(wasm, x) * 4, rows * inner)
      : heap.subarray(heapIndex(wasm, x), heapIndex(wasm, x) + rows * inner);
  const outBase = heapIndex(wasm, out);
  for (let i = 0; i < rows; i++) {
    const s = ids[i]!;
    if (s < 0 || s >= numSegments) continue;
    const from = i * inner;
    const to = outBase + s * inner;
    for (let k = 0; k < inner; k++) heap[to + k]! += values[from + k]!;
  }
  return out;
};

export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: tf.UnsortedSegmentSum,
  backendName,
  kernelFunc: unsortedSegmentSum,
};
