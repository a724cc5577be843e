import {Conv2D, type KernelConfig} from '@tensorflow/tfjs';
import {convOverride} from './wgsl/conv-override.js';

const backendName = 'webgpu';

/**
 * Conv2D in float16 on the webgpu backend: the forward convolution of `convProgram` (WGSL `enable f16;`,
 * float16 operands, float32 accumulation, the result rounded to float16), NHWC. Outside a
 * float16 compute context (and its backward pass), or on a device without `shader-f16`: the
 * backend's own kernel.
 */
export const conv2D = convOverride(Conv2D, 'forward', false);

export const conv2DConfig: KernelConfig = {
  kernelName: Conv2D,
  backendName,
  kernelFunc: conv2D,
};
