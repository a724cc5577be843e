import type {KernelConfig} from '@tensorflow/tfjs';
import {ampQuantizeConfig} from './AmpQuantize.js';
import {conv2DBackpropFilterConfig} from './Conv2DBackpropFilter.js';

/** Every kernel tfjs-amp registers for the `wasm` backend, sorted by kernel name. */
export const wasmKernelConfigs: readonly KernelConfig[] = [
  ampQuantizeConfig,
  conv2DBackpropFilterConfig,
];
