import * as tf from '@tensorflow/tfjs';
import {wasmEmptyConvOverride} from '../shared/wasm-empty-conv.js';

/**
 * Override of tfjs-backend-wasm's `FusedConv2D` that returns an empty output without running XNNPACK (which corrupts the wasm heap on a 0-sized output); every other call runs the stock kernel.
 */
export const fusedConv2DConfig = wasmEmptyConvOverride(tf.FusedConv2D, {
  depthwise: false,
  fused: true,
});
