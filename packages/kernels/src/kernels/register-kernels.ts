import * as tf from '@tensorflow/tfjs';
import type {KernelConfig} from '@tensorflow/tfjs';
import {installOverrides} from '../native/overrides.js';
import {quantizeGradConfig} from '../ops/quantize-grad.js';
import {cpuKernelConfigs} from './cpu/index.js';
import {GENERIC_BACKENDS, genericKernelConfigs} from './generic/index.js';
import {tensorflowKernelConfigs, tensorflowKernelOverrides} from './tensorflow/index.js';
import {wasmKernelConfigs, wasmKernelOverrides} from './wasm/index.js';

/** Backends with kernels of their own; every other backend gets the generic ones. */
const BACKEND_KERNELS: Readonly<Record<string, readonly KernelConfig[]>> = {
  cpu: cpuKernelConfigs,
  tensorflow: tensorflowKernelConfigs,
  wasm: wasmKernelConfigs,
};

/**
 * Kernels that replace a backend's own (delegating to them outside a compute-format context),
 * installed once the backend's package has registered the originals; see `installOverrides`.
 */
const BACKEND_OVERRIDES: Readonly<Record<string, readonly KernelConfig[]>> = {
  tensorflow: tensorflowKernelOverrides,
  wasm: wasmKernelOverrides,
};

/**
 * A kernel that is never run: its `setupFunc`, which tfjs calls each time the backend is
 * initialized or selected, installs the backend's overrides. That covers @tfjs-amp/kernels being
 * imported before the backend's package (whose originals do not exist yet at import).
 */
function overrideInstaller(backendName: string, overrides: readonly KernelConfig[]): KernelConfig {
  return {
    kernelName: 'AmpInstallOverrides',
    backendName,
    setupFunc: () => {
      installOverrides(overrides);
    },
    kernelFunc: () => {
      throw new Error('AmpInstallOverrides is a setup hook, not a kernel to run.');
    },
  };
}

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
  const overrides = BACKEND_OVERRIDES[backendName];
  if (overrides != null) {
    registerMissing([overrideInstaller(backendName, overrides)]);
    installOverrides(overrides);
  }
}

/**
 * Registers tfjs-amp's kernels and gradients with the tfjs kernel registry: specific kernels for
 * cpu and wasm, generic ones for the other known backends. Runs on import of `@tfjs-amp/kernels`;
 * safe to call again (already-registered kernels are left alone, so another package's native
 * kernel for a backend wins if it registered first).
 */
export function registerAmpKernels(): void {
  for (const configs of Object.values(BACKEND_KERNELS)) registerMissing(configs);
  for (const [backendName, overrides] of Object.entries(BACKEND_OVERRIDES)) {
    registerMissing([overrideInstaller(backendName, overrides)]);
    installOverrides(overrides);
  }
  for (const backendName of GENERIC_BACKENDS) ensureAmpKernels(backendName);
  if (tf.getGradient(quantizeGradConfig.kernelName) == null)
    tf.registerGradient(quantizeGradConfig);
}
