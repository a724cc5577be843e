import * as tf from '@tensorflow/tfjs';
import {wasmEmptyConvOverride} from '../shared/wasm-empty-conv.js';

/**
 * Override of tfjs-backend-wasm's `DepthwiseConv2dNative` that returns an empty output without running XNNPACK (which corrupts the wasm heap on a 0-sized output), and zeros for 0 input channels instead of stale heap memory; every other call runs the stock kernel.
 */
export const depthwiseConv2dNativeConfig = wasmEmptyConvOverride(tf.DepthwiseConv2dNative, {
  depthwise: true,
  fused: false,
});
