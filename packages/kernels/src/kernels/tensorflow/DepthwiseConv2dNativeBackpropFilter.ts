import {
  DepthwiseConv2dNativeBackpropFilter,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
} from '@tensorflow/tfjs';
import {
  shape4,
  tensorflowConvConfig,
  tensorflowConvKernel,
  type TensorflowConvSpec,
} from '../shared/tensorflow-conv.js';

const spec: TensorflowConvSpec = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  op: 'DepthwiseConv2dNativeBackpropFilter',
  depthwise: true,
  allowExplicit: false,
  matrixInputs: (i) => [i.x!, i.dy!],
  geometry: (i, a) => {
    const {strides, dilations, pad, dimRoundingMode, filterShape} =
      a as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
    return {inShape: shape4(i.x), filterShape, strides, dilations, pad, dimRoundingMode};
  },
  opInputs: (i, info) => [i.x!, {int32: info.filterShape}, i.dy!],
};

/**
 * DepthwiseConv2dNativeBackpropFilter (the depthwise filter gradient) in the compute format: TF's
 * op of that name with `T = half | bfloat16`. Outside a compute-format context and its backward
 * pass: tfjs-node's kernel.
 */
export const depthwiseConv2dNativeBackpropFilter: KernelFunc = tensorflowConvKernel(spec);

export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = tensorflowConvConfig(
  spec,
  depthwiseConv2dNativeBackpropFilter,
);
