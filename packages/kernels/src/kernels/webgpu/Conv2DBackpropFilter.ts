import {Conv2DBackpropFilter, type KernelConfig} from '@tensorflow/tfjs';
import {convOverride} from './wgsl/conv-override.js';

const backendName = 'webgpu';

/**
 * Conv2DBackpropFilter in float16 on the webgpu backend: the filter gradient of `convProgram` (WGSL `enable f16;`,
 * float16 operands, float32 accumulation, the result rounded to float16), NHWC. Outside a
 * float16 compute context (and its backward pass), or on a device without `shader-f16`: the
 * backend's own kernel.
 */
export const conv2DBackpropFilter = convOverride(Conv2DBackpropFilter, 'filter', false);

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName,
  kernelFunc: conv2DBackpropFilter,
};
