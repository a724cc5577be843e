import * as tf from '@tensorflow/tfjs';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs';
import {AmpQuantize} from '../../kernel-names.js';
import {quantizeKernelInput} from '../shared/kernel-input.js';
import {roundFloat32} from '../../rounding/round-bits.js';
import {simdRounderFor} from '../shared/round-bits-simd.js';
import {stochasticRoundFloat32, stochasticSeed} from '../shared/stochastic-round.js';
import type {WasmBackend} from '../shared/wasm-backend.js';

const backendName = 'wasm';

/**
 * Whether to use the SIMD module: tfjs's own `WASM_HAS_SIMD_SUPPORT` flag (set it to false to
 * get the plain JavaScript loop over the heap, as tfjs then also loads its non-SIMD binary).
 */
function simdAllowed(): boolean {
  try {
    return tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  } catch {
    return false; // flag not registered: tfjs-backend-wasm is not loaded the usual way
  }
}

/**
 * Rounds over the wasm heap with no copies: a WebAssembly SIMD function instantiated on the
 * backend's own `WebAssembly.Memory` reads the input tensor and writes the output tensor in
 * place; where SIMD is unavailable, the JavaScript core runs over Float32Array views of the heap.
 * Stochastic mode runs `stochasticRoundFloat32` over heap views (no SIMD version).
 */
export const ampQuantize: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as {x: TensorInfo};
  const {spec, plan} = quantizeKernelInput(x, attrs);
  const seed = stochasticSeed(attrs);
  const wasm = backend as unknown as WasmBackend;
  const out = wasm.makeOutput(x.shape.slice(), 'float32');
  const size = tf.util.sizeFromShape(x.shape);
  if (size === 0) return out;
  const xOffset = wasm.dataIdMap.get(x.dataId)!.memoryOffset;
  const outOffset = wasm.dataIdMap.get(out.dataId)!.memoryOffset;
  const memory = wasm.wasm.asm?.memory;
  const simd =
    seed == null && !plan.identity && memory instanceof WebAssembly.Memory && simdAllowed()
      ? simdRounderFor(memory)
      : null;
  if (simd != null) {
    simd(xOffset, outOffset, size, plan);
  } else {
    // Views are taken after makeOutput: its malloc may have grown (and so replaced) the buffer.
    const heap = wasm.wasm.HEAPF32.buffer;
    const src = new Float32Array(heap, xOffset, size);
    const dst = new Float32Array(heap, outOffset, size);
    if (seed == null) roundFloat32(src, dst, plan);
    else stochasticRoundFloat32(src, dst, spec, plan, seed);
  }
  return out;
};

export const ampQuantizeConfig: KernelConfig = {
  kernelName: AmpQuantize,
  backendName,
  kernelFunc: ampQuantize,
};
