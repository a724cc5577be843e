import type {KernelConfig} from '@tensorflow/tfjs';
import {ampQuantizeConfigFor} from './AmpQuantize.js';

/** Backends that get the generic kernels at import time; any other gets them on first use. */
export const GENERIC_BACKENDS: readonly string[] = ['tensorflow', 'webgl', 'webgpu'];

/** Every generic kernel, configured for `backendName`, sorted by kernel name. */
export function genericKernelConfigs(backendName: string): readonly KernelConfig[] {
  return [ampQuantizeConfigFor(backendName)];
}
