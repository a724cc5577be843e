import * as tf from '@tensorflow/tfjs';
import {wasmEmptyConvOverride} from '../shared/wasm-empty-conv.js';

/**
 * Override of tfjs-backend-wasm's `FusedDepthwiseConv2D` that returns an empty output without running XNNPACK (which corrupts the wasm heap on a 0-sized output); every other call runs the stock kernel.
 */
export const fusedDepthwiseConv2DConfig = wasmEmptyConvOverride(tf.FusedDepthwiseConv2D, {
  depthwise: true,
  fused: true,
});
