import * as tf from '@tensorflow/tfjs';
import {wasmEmptyReductionOverride} from '../shared/wasm-empty-reduction.js';

/**
 * Override of tfjs-backend-wasm's `Min`: over an empty axis it returns NaN everywhere, as the cpu
 * backend does, where the stock kernel returns stale heap memory; every other call runs the
 * stock kernel.
 */
export const minConfig = wasmEmptyReductionOverride(tf.Min, Number.NaN);
