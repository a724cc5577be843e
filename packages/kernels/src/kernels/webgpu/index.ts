import type {KernelConfig} from '@tensorflow/tfjs';
import {ampQuantizeConfig} from './AmpQuantize.js';
import {batchMatMulConfig} from './BatchMatMul.js';
import {fusedMatMulConfig} from './_FusedMatMul.js';

/** tfjs-amp's own kernels for the `webgpu` backend, sorted by kernel name. */
export const webgpuKernelConfigs: readonly KernelConfig[] = [ampQuantizeConfig];

/**
 * Kernels that replace tfjs-backend-webgpu's own (which they delegate to outside a float16
 * compute context or without `shader-f16`), sorted by kernel name. Installed only once
 * tfjs-backend-webgpu has registered the originals.
 */
export const webgpuKernelOverrides: readonly KernelConfig[] = [
  batchMatMulConfig,
  fusedMatMulConfig,
];
