import * as tf from '@tensorflow/tfjs';
import type {KernelConfig, KernelFunc, TensorInfo, TileAttrs} from '@tensorflow/tfjs';
import {originalKernel, replacedKernelConfig} from '../../native/overrides.js';
import {heapIndex, type WasmBackend} from '../shared/wasm-backend.js';

const backendName = 'wasm';

/**
 * Override of tfjs-backend-wasm's `Tile` for 4-byte types (float32, int32): the stock kernel
 * computes every output element's source index one by one, which made the `Tile` in tfjs's
 * BatchNorm gradient (a `[C]` vector tiled to the whole `[N, H, W, C]` activation) take 125 ms a
 * call in a small ResNet's training step. This one places the input once, then doubles it along
 * each axis from the innermost out with block copies (`copyWithin`): out[i] = x[i mod shape]
 * per axis, exactly (a copy, bit for bit). An empty input or a 0 repetition gives an empty
 * output. Other dtypes (bool, string, complex) run the stock kernel.
 */
export const tile: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as {x: TensorInfo};
  const {reps} = attrs as unknown as TileAttrs;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    return originalKernel(tf.Tile, backendName)({inputs, backend, attrs});
  }
  const wasm = backend as unknown as WasmBackend;
  const rank = x.shape.length;
  const outShape = x.shape.map((d, i) => d * reps[i]!);
  // makeOutput allocates by dtype; typed as float32 in WasmBackend, int32 has the same width.
  const out = (wasm.makeOutput as (s: number[], d: string) => TensorInfo)(outShape, x.dtype);
  let outSize = 1;
  for (const d of outShape) outSize *= d;
  if (outSize === 0) return out;
  // Bit-exact copies through an integer view of the heap (after the malloc above).
  const heap = new Int32Array(wasm.wasm.HEAPF32.buffer);
  const src = heapIndex(wasm, x);
  const dst = heapIndex(wasm, out);
  if (rank === 0) {
    heap[dst] = heap[src]!;
    return out;
  }
  // outStrides[k]: elements per step of axis k in the output.
  const outStrides = new Array<number>(rank);
  outStrides[rank - 1] = 1;
  for (let k = rank - 2; k >= 0; k--) outStrides[k] = outStrides[k + 1]! * outShape[k + 1]!;

  // Place the input at repetition 0 of every axis: one row copy per input row.
  const rowLength = x.shape[rank - 1]!;
  const rows = x.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const index = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  for (let r = 0; r < rows; r++) {
    let at = dst;
    for (let k = 0; k < rank - 1; k++) at += index[k]! * outStrides[k]!;
    heap.copyWithin(at, src + r * rowLength, src + (r + 1) * rowLength);
    for (let k = rank - 2; k >= 0; k--) {
      if (++index[k]! < x.shape[k]!) break;
      index[k] = 0;
    }
  }
  // From the innermost axis out: repeat each finished block (x.shape[k] · outStrides[k]
  // elements) reps[k] times, for every position of the axes before k within the input.
  for (let k = rank - 1; k >= 0; k--) {
    if (reps[k] === 1) continue;
    const block = x.shape[k]! * outStrides[k]!;
    const prefix = x.shape.slice(0, k);
    const count = prefix.reduce((a, b) => a * b, 1);
    const at = new Array<number>(k).fill(0);
    for (let p = 0; p < count; p++) {
      let base = dst;
      for (let j = 0; j < k; j++) base += at[j]! * outStrides[j]!;
      for (let t = 1; t < reps[k]!; t++) heap.copyWithin(base + t * block, base, base + block);
      for (let j = k - 1; j >= 0; j--) {
        if (++at[j]! < prefix[j]!) break;
        at[j] = 0;
      }
    }
  }
  return out;
};

export const tileConfig: KernelConfig = {
  kernelName: tf.Tile,
  backendName,
  // The stock kernel (still run for other dtypes) binds its wasm function in its setupFunc.
  setupFunc: (backend) => replacedKernelConfig(tf.Tile, backendName)?.setupFunc?.(backend),
  kernelFunc: tile,
};
