import {DepthwiseConv2dNativeBackpropFilter, type KernelConfig} from '@tensorflow/tfjs';
import {convOverride} from './wgsl/conv-override.js';

const backendName = 'webgpu';

/**
 * DepthwiseConv2dNativeBackpropFilter in float16 on the webgpu backend: the filter gradient of `convProgram` (WGSL `enable f16;`,
 * float16 operands, float32 accumulation, the result rounded to float16), NHWC. Outside a
 * float16 compute context (and its backward pass), or on a device without `shader-f16`: the
 * backend's own kernel.
 */
export const depthwiseConv2dNativeBackpropFilter = convOverride(
  DepthwiseConv2dNativeBackpropFilter,
  'filter',
  true,
);

export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName,
  kernelFunc: depthwiseConv2dNativeBackpropFilter,
};
