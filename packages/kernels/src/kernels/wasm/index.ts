import type {KernelConfig} from '@tensorflow/tfjs';
import {ampQuantizeConfig} from './AmpQuantize.js';

/** Every kernel tfjs-amp registers for the `wasm` backend, sorted by kernel name. */
export const wasmKernelConfigs: readonly KernelConfig[] = [ampQuantizeConfig];
