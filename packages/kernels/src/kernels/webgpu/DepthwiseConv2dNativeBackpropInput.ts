import {DepthwiseConv2dNativeBackpropInput, type KernelConfig} from '@tensorflow/tfjs';
import {convOverride} from './wgsl/conv-override.js';

const backendName = 'webgpu';

/**
 * DepthwiseConv2dNativeBackpropInput in float16 on the webgpu backend: the input gradient of `convProgram` (WGSL `enable f16;`,
 * float16 operands, float32 accumulation, the result rounded to float16), NHWC. Outside a
 * float16 compute context (and its backward pass), or on a device without `shader-f16`: the
 * backend's own kernel.
 */
export const depthwiseConv2dNativeBackpropInput = convOverride(
  DepthwiseConv2dNativeBackpropInput,
  'input',
  true,
);

export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName,
  kernelFunc: depthwiseConv2dNativeBackpropInput,
};
