import {Conv2DBackpropInput, type KernelConfig} from '@tensorflow/tfjs';
import {convOverride} from './wgsl/conv-override.js';

const backendName = 'webgpu';

/**
 * Conv2DBackpropInput in float16 on the webgpu backend: the input gradient of `convProgram` (WGSL `enable f16;`,
 * float16 operands, float32 accumulation, the result rounded to float16), NHWC. Outside a
 * float16 compute context (and its backward pass), or on a device without `shader-f16`: the
 * backend's own kernel.
 */
export const conv2DBackpropInput = convOverride(Conv2DBackpropInput, 'input', false);

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName,
  kernelFunc: conv2DBackpropInput,
};
