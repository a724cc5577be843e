import type {TensorInfo} from '@tensorflow/tfjs';

/**
 * The slice of tfjs-backend-wasm's BackendWasm that tfjs-amp's wasm kernels use, typed by shape
 * so the wasm backend stays an optional peer (never imported).
 */
export interface WasmBackend {
  wasm: {HEAPF32: Float32Array; asm?: {memory?: unknown}};
  dataIdMap: {get(dataId: object): {memoryOffset: number} | undefined};
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  disposeData(dataId: object): boolean;
}

/** Index of a float32 tensor's first element in the heap's float32 view (`HEAPF32`). */
export function heapIndex(backend: WasmBackend, tensor: TensorInfo): number {
  return backend.dataIdMap.get(tensor.dataId)!.memoryOffset / 4;
}
