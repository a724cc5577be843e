import type {KernelConfig} from '@tensorflow/tfjs';
import {ampQuantizeConfig} from './AmpQuantize.js';

/** Every kernel tfjs-amp registers for the `cpu` backend, sorted by kernel name. */
export const cpuKernelConfigs: readonly KernelConfig[] = [ampQuantizeConfig];
