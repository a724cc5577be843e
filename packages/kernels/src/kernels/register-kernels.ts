import * as tf from '@tensorflow/tfjs';
import type {KernelConfig} from '@tensorflow/tfjs';
import {quantizeGradConfig} from '../ops/quantize-grad.js';
import {cpuKernelConfigs} from './cpu/index.js';
import {GENERIC_BACKENDS, genericKernelConfigs} from './generic/index.js';
import {wasmKernelConfigs} from './wasm/index.js';

/** Backends with kernels of their own; every other backend gets the generic ones. */
const BACKEND_KERNELS: Readonly<Record<string, readonly KernelConfig[]>> = {
  cpu: cpuKernelConfigs,
  wasm: wasmKernelConfigs,
};

function registerMissing(configs: readonly KernelConfig[]): void {
  for (const config of configs) {
    if (tf.getKernel(config.kernelName, config.backendName) == null) tf.registerKernel(config);
  }
}

/**
 * Makes sure every tfjs-amp kernel exists for `backendName` (specific kernels where we have
 * them, else the generic ones). Cheap after the first call; the ops call it on every use, which
 * is what makes backends registered after import work.
 */
export function ensureAmpKernels(backendName: string): void {
  registerMissing(BACKEND_KERNELS[backendName] ?? genericKernelConfigs(backendName));
}

/**
 * Registers tfjs-amp's kernels and gradients with the tfjs kernel registry: specific kernels for
 * cpu and wasm, generic ones for the other known backends. Runs on import of `@tfjs-amp/kernels`;
 * safe to call again (already-registered kernels are left alone, so another package's native
 * kernel for a backend wins if it registered first).
 */
export function registerAmpKernels(): void {
  for (const configs of Object.values(BACKEND_KERNELS)) registerMissing(configs);
  for (const backendName of GENERIC_BACKENDS) ensureAmpKernels(backendName);
  if (tf.getGradient(quantizeGradConfig.kernelName) == null)
    tf.registerGradient(quantizeGradConfig);
}
