import * as tf from '@tensorflow/tfjs';
import {warnOnce} from '../../../native/warn-once.js';
import type {WebGPUBackendLike} from './wgsl-program.js';

/** WebGPU's name for the feature that allows `enable f16;` in WGSL. */
export const SHADER_F16 = 'shader-f16';

/** Whether the webgpu backend's device was created with `shader-f16`. */
export function deviceHasShaderF16(backend: WebGPUBackendLike): boolean {
  return backend.device.features.has(SHADER_F16);
}

/** The one-time notice when a float16 kernel falls back to float32 (the emulation). */
export function warnNoShaderF16(kernelName: string): void {
  warnOnce(
    'webgpu/no-shader-f16',
    `tfjs-amp: ${kernelName} and the other float16 kernels run in float32 on the webgpu backend ` +
      `(a policy emulates float16 by rounding at its cast points): the device was created ` +
      `without '${SHADER_F16}'. Call requestShaderF16() before tf.setBackend('webgpu') so tfjs ` +
      `requests it, on an adapter that has it.`,
  );
}

type GpuLike = {requestAdapter(options?: object): Promise<AdapterLike | null>};
type AdapterLike = {
  readonly features: {has(name: string): boolean};
  requestDevice(descriptor?: {requiredFeatures?: Iterable<unknown>}): Promise<unknown>;
};
type Factory = () => tf.KernelBackend | Promise<tf.KernelBackend>;
type EngineRegistry = {registryFactory: Record<string, {factory: Factory; priority: number}>};

const wrapped = new WeakSet<Factory>();

/**
 * Makes tfjs-backend-webgpu create its device with `shader-f16` when the adapter has it (tfjs
 * 4.22 requests only `timestamp-query` and `bgra8unorm-storage`), so that tfjs-amp's WGSL float16
 * kernels can run. Call it after importing `@tensorflow/tfjs-backend-webgpu` and before the
 * backend is first used (`tf.setBackend('webgpu')`, `tf.ready()`): it re-registers the backend's
 * factory (same priority) with one that adds the feature to `adapter.requestDevice` during device
 * creation only. Safe to call more than once. Without it (or on an adapter without the feature)
 * the float16 kernels fall back to float32, with a one-time notice.
 * @returns `'requested'` when the factory was wrapped (or already was), `'too-late'` when the
 * backend already exists (then it tells whether its device has the feature: `'has-f16'`), and
 * `'no-webgpu'` when no `webgpu` backend is registered.
 * @example
 * import '@tensorflow/tfjs-backend-webgpu';
 * import {requestShaderF16} from '@tfjs-amp/kernels';
 * requestShaderF16();
 * await tf.setBackend('webgpu');
 */
export function requestShaderF16(): 'requested' | 'has-f16' | 'too-late' | 'no-webgpu' {
  const engine = tf.engine() as unknown as EngineRegistry & {registry: Record<string, unknown>};
  const existing = engine.registry.webgpu as WebGPUBackendLike | undefined;
  if (existing != null) return deviceHasShaderF16(existing) ? 'has-f16' : 'too-late';
  const entry = engine.registryFactory.webgpu;
  if (entry == null) return 'no-webgpu';
  if (wrapped.has(entry.factory)) return 'requested';
  const original = entry.factory;
  const factory: Factory = async () => {
    const gpu = (globalThis as {navigator?: {gpu?: GpuLike}}).navigator?.gpu;
    if (gpu == null) return original();
    const requestAdapter = gpu.requestAdapter;
    const own = Object.hasOwn(gpu, 'requestAdapter');
    gpu.requestAdapter = async (options?: object) => {
      const adapter = await requestAdapter.call(gpu, options);
      if (adapter == null || !adapter.features.has(SHADER_F16)) return adapter;
      const requestDevice = adapter.requestDevice;
      // What tfjs reads of an adapter: features, limits, info, requestDevice.
      return {
        features: adapter.features,
        limits: (adapter as {limits?: unknown}).limits,
        info: (adapter as {info?: unknown}).info,
        requestDevice: (descriptor: {requiredFeatures?: Iterable<unknown>} = {}) =>
          requestDevice.call(adapter, {
            ...descriptor,
            requiredFeatures: [...(descriptor.requiredFeatures ?? []), SHADER_F16],
          }),
      } as AdapterLike;
    };
    try {
      return await original();
    } finally {
      if (own) gpu.requestAdapter = requestAdapter;
      else delete (gpu as Partial<GpuLike>).requestAdapter;
    }
  };
  wrapped.add(factory);
  tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', factory, entry.priority);
  return 'requested';
}
