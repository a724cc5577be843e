import * as tf from '@tensorflow/tfjs';
import type {KernelConfig} from '@tensorflow/tfjs';
import {installOverrides} from '../native/overrides.js';
import {cpuKernelConfigs} from './cpu/index.js';
import {GENERIC_BACKENDS, genericKernelConfigs} from './generic/index.js';
import {tensorflowKernelConfigs, tensorflowKernelOverrides} from './tensorflow/index.js';
import {wasmKernelConfigs, wasmKernelOverrides} from './wasm/index.js';
import {webgpuKernelConfigs, webgpuKernelOverrides} from './webgpu/index.js';

/** Backends with kernels of their own; every other backend gets the generic ones. */
const BACKEND_KERNELS: Readonly<Record<string, readonly KernelConfig[]>> = {
  cpu: cpuKernelConfigs,
  tensorflow: tensorflowKernelConfigs,
  wasm: wasmKernelConfigs,
  webgpu: webgpuKernelConfigs,
};

/**
 * Kernels that replace a backend's own (delegating to them outside a compute-format context),
 * installed once the backend's package has registered the originals; see `installOverrides`.
 */
const BACKEND_OVERRIDES: Readonly<Record<string, readonly KernelConfig[]>> = {
  tensorflow: tensorflowKernelOverrides,
  wasm: wasmKernelOverrides,
  webgpu: webgpuKernelOverrides,
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

/** One setup hook per backend with overrides, built once (the ops consult it on every call). */
const OVERRIDE_INSTALLERS: Readonly<Record<string, KernelConfig>> = Object.fromEntries(
  Object.entries(BACKEND_OVERRIDES).map(([name, overrides]) => [
    name,
    overrideInstaller(name, overrides),
  ]),
);

/** Generic kernel configs per backend without kernels of its own, built on first use. */
const genericConfigs = new Map<string, readonly KernelConfig[]>();

function kernelsFor(backendName: string): readonly KernelConfig[] {
  const own = BACKEND_KERNELS[backendName];
  if (own != null) return own;
  let configs = genericConfigs.get(backendName);
  if (configs == null) {
    configs = genericKernelConfigs(backendName);
    genericConfigs.set(backendName, configs);
  }
  return configs;
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
  registerMissing(kernelsFor(backendName));
  const overrides = BACKEND_OVERRIDES[backendName];
  if (overrides != null) {
    registerMissing([OVERRIDE_INSTALLERS[backendName]!]);
    installOverrides(overrides);
  }
}

/**
 * Registers tfjs-amp's kernels (not the gradients: those belong to the ops, see `register.ts`)
 * with the tfjs kernel registry: specific kernels for cpu, wasm, tensorflow and webgpu, generic
 * ones for the other known backends. Safe to call again (already-registered kernels are left
 * alone, so another package's native kernel for a backend wins if it registered first).
 */
export function registerBackendKernels(): void {
  const backends = new Set([
    ...Object.keys(BACKEND_KERNELS),
    ...Object.keys(BACKEND_OVERRIDES),
    ...GENERIC_BACKENDS,
  ]);
  for (const backendName of backends) ensureAmpKernels(backendName);
}
