import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs';
import {getFormat} from '../../formats/index.js';
import {AmpQuantize, type AmpQuantizeAttrs} from '../../kernel-names.js';
import {bitRounder} from '../shared/round-bits.js';

const backendName = 'wasm';

/** The slice of tfjs-backend-wasm's BackendWasm this kernel uses (typed by shape, not imported). */
interface WasmBackend {
  wasm: {HEAPU32: Uint32Array};
  dataIdMap: {get(dataId: object): {memoryOffset: number} | undefined};
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
}

/** Rounds in place over the wasm heap: input and output are views on the module's memory. */
export const ampQuantize: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as {x: TensorInfo};
  const {format, saturate} = attrs as unknown as AmpQuantizeAttrs;
  const wasm = backend as unknown as WasmBackend;
  const out = wasm.makeOutput(x.shape.slice(), 'float32');
  const size = x.shape.reduce((a, b) => a * b, 1);
  if (size === 0) return out;
  // Views are taken after makeOutput: its malloc may grow (and so replace) the heap buffer.
  const heap = wasm.wasm.HEAPU32;
  const xOffset = wasm.dataIdMap.get(x.dataId)!.memoryOffset;
  const outOffset = wasm.dataIdMap.get(out.dataId)!.memoryOffset;
  const src = new Uint32Array(heap.buffer, xOffset, size);
  const dst = new Uint32Array(heap.buffer, outOffset, size);
  bitRounder(getFormat(format), saturate)(src, dst);
  return out;
};

export const ampQuantizeConfig: KernelConfig = {
  kernelName: AmpQuantize,
  backendName,
  kernelFunc: ampQuantize,
};
