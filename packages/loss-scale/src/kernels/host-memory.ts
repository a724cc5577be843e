import type {DataType, TensorInfo} from '@tensorflow/tfjs';

/**
 * Backends whose tensors live in host memory (the cpu backend's JS arrays, the wasm heap): a
 * kernel there may look at a flag's value without any device sync, so loss-scale's kernels pick
 * buffers and run the scale rule there directly instead of with elementwise tensor ops.
 */
export const HOST_MEMORY_BACKENDS: readonly string[] = Object.freeze(['cpu', 'wasm']);

/** The slice of the cpu and wasm backends these kernels use (typed by shape, never imported). */
interface HostBackend {
  incRef(dataId: object): void;
  /** cpu: the backend's own storage. */
  data?: {get(dataId: object): {values: ArrayLike<number>} | undefined};
  /** wasm: a view of the tensor's bytes in the heap. */
  typedArrayFromHeap?(t: TensorInfo): {[i: number]: number; length: number};
  /** wasm: a new output in the heap. */
  makeOutput?(shape: number[], dtype: DataType): TensorInfo;
  /** cpu: a new output from values. */
  makeTensorInfo?(shape: number[], dtype: DataType, values: ArrayLike<number>): TensorInfo;
}

/** The host backend behind a kernel's `backend` argument. */
export function hostBackend(backend: unknown): HostBackend {
  return backend as HostBackend;
}

/** The first value of a tensor in host memory (no readSync: the storage itself). */
export function firstValue(backend: HostBackend, t: TensorInfo): number {
  if (backend.typedArrayFromHeap != null) return backend.typedArrayFromHeap(t)[0]!;
  return backend.data!.get(t.dataId)!.values[0]!;
}

/** A new scalar output holding `value` (float32 values rounded, int32 truncated by the array). */
export function scalarOutput(
  backend: HostBackend,
  value: number,
  dtype: 'float32' | 'int32',
): TensorInfo {
  if (backend.makeOutput != null && backend.typedArrayFromHeap != null) {
    const out = backend.makeOutput([], dtype);
    backend.typedArrayFromHeap(out)[0] = value; // view taken after makeOutput (it may grow the heap)
    return out;
  }
  const values = dtype === 'float32' ? Float32Array.of(value) : Int32Array.of(value);
  return backend.makeTensorInfo!([], dtype, values);
}

/** Another reference to `t`'s data (no copy), as the cpu backend's Identity does. */
export function shareOutput(backend: HostBackend, t: TensorInfo): TensorInfo {
  backend.incRef(t.dataId);
  return {dataId: t.dataId, shape: t.shape.slice(), dtype: t.dtype};
}
