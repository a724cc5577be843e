import {FusedDepthwiseConv2D, type KernelConfig} from '@tensorflow/tfjs';
import {convOverride} from './wgsl/conv-override.js';

const backendName = 'webgpu';

/**
 * FusedDepthwiseConv2D (tfjs-layers' convolution with bias and activation) in float16 on the webgpu backend: the
 * float16 DepthwiseConv2dNative of `convProgram` with the bias (per output channel or scalar, rounded to
 * float16) added and the activation applied in the same shader, each result rounded to float16
 * (`wgslEpilogue`). prelu, other bias shapes, NCHW, outside a float16 compute context or on a
 * device without `shader-f16`: the backend's own kernel. Its gradients are tfjs's, whose
 * convolution backprops follow the format through the backward marks.
 */
export const fusedDepthwiseConv2D = convOverride(FusedDepthwiseConv2D, 'forward', true, true);

export const fusedDepthwiseConv2DConfig: KernelConfig = {
  kernelName: FusedDepthwiseConv2D,
  backendName,
  kernelFunc: fusedDepthwiseConv2D,
};
