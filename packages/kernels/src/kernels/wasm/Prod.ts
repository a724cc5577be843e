import * as tf from '@tensorflow/tfjs';
import {wasmEmptyReductionOverride} from '../shared/wasm-empty-reduction.js';

/**
 * Override of tfjs-backend-wasm's `Prod`: over an empty axis it returns 1 everywhere, as the cpu
 * backend does, where the stock kernel returns stale heap memory; every other call runs the
 * stock kernel.
 */
export const prodConfig = wasmEmptyReductionOverride(tf.Prod, 1);
