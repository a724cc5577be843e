import * as tf from '@tensorflow/tfjs';
import {setWasmPaths} from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgpu';
import {requestShaderF16} from '@tfjs-amp/kernels';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

/** The backends the page offers, in picker order. */
export const PAGE_BACKENDS = Object.freeze(['webgpu', 'webgl', 'wasm'] as const);
export type PageBackend = (typeof PAGE_BACKENDS)[number];

// The bundler copies the three .wasm files into the build (hashed names) and gives their URLs;
// tfjs picks one by what the browser supports (threads only under cross-origin isolation, which
// vite.config.ts leaves off).
setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

/** Whether a backend can run here, and a line for the page saying what it runs on. */
export interface BackendCheck {
  readonly available: boolean;
  readonly detail: string;
}

/**
 * Checks WebGPU without touching tfjs: `navigator.gpu` and an adapter. Headless Chromium often
 * has neither.
 */
export async function checkWebGPU(): Promise<BackendCheck> {
  const gpu = (navigator as Navigator & {gpu?: {requestAdapter(): Promise<unknown>}}).gpu;
  if (gpu == null) {
    return {available: false, detail: 'WebGPU is unavailable: this browser has no navigator.gpu.'};
  }
  try {
    const adapter = (await gpu.requestAdapter()) as {
      features?: ReadonlySet<string>;
      info?: {vendor?: string; architecture?: string; description?: string};
    } | null;
    if (adapter == null) {
      return {available: false, detail: 'WebGPU is unavailable: requestAdapter() found no GPU.'};
    }
    const info = adapter.info;
    const name = [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ');
    const f16 = adapter.features?.has('shader-f16') ? 'shader-f16' : 'no shader-f16';
    return {available: true, detail: `WebGPU adapter: ${name || 'unnamed'} (${f16}).`};
  } catch (e) {
    return {available: false, detail: `WebGPU is unavailable: ${(e as Error).message}`};
  }
}

/**
 * Makes `name` the active tfjs backend.
 * @throws Error naming the backend when tfjs cannot initialise it.
 */
export async function activateBackend(name: PageBackend): Promise<string> {
  if (name === 'webgpu') {
    const check = await checkWebGPU();
    if (!check.available) throw new Error(check.detail);
    // Ask tfjs to create its device with shader-f16 where the adapter has it (real float16
    // kernels); without it the kernels fall back to float32 with a one-time notice.
    requestShaderF16();
  }
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) {
    throw new Error(`browser-mixed: tfjs could not start the '${name}' backend in this browser.`);
  }
  await tf.ready();
  if (name === 'wasm') {
    const threads = crossOriginIsolated ? 'threads + SIMD' : 'SIMD, one thread';
    return `wasm (${threads})`;
  }
  if (name === 'webgl') {
    const gl = (tf.backend() as unknown as {gpgpu?: {gl?: WebGLRenderingContext}}).gpgpu?.gl;
    const renderer = gl?.getParameter(gl.RENDERER) as string | undefined;
    return `webgl ${tf.env().getNumber('WEBGL_VERSION')} (${renderer ?? 'unknown renderer'})`;
  }
  return (await checkWebGPU()).detail.replace('WebGPU adapter: ', 'webgpu ').replace(/\.$/, '');
}
