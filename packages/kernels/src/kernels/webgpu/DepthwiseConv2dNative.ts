import {DepthwiseConv2dNative, type KernelConfig} from '@tensorflow/tfjs';
import {convOverride} from './wgsl/conv-override.js';

const backendName = 'webgpu';

/**
 * DepthwiseConv2dNative in float16 on the webgpu backend: the forward convolution of `convProgram` (WGSL `enable f16;`,
 * float16 operands, float32 accumulation, the result rounded to float16), NHWC. Outside a
 * float16 compute context (and its backward pass), or on a device without `shader-f16`: the
 * backend's own kernel.
 */
export const depthwiseConv2dNative = convOverride(DepthwiseConv2dNative, 'forward', true);

export const depthwiseConv2dNativeConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNative,
  backendName,
  kernelFunc: depthwiseConv2dNative,
};
