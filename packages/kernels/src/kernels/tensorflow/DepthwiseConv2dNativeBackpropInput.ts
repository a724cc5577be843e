import {
  DepthwiseConv2dNativeBackpropInput,
  type DepthwiseConv2dNativeBackpropInputAttrs,
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
  kernelName: DepthwiseConv2dNativeBackpropInput,
  op: 'DepthwiseConv2dNativeBackpropInput',
  depthwise: true,
  allowExplicit: false,
  matrixInputs: (i) => [i.dy!, i.filter!],
  geometry: (i, a) => {
    const {strides, dilations, pad, dimRoundingMode, inputShape} =
      a as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
    return {
      inShape: inputShape,
      filterShape: shape4(i.filter),
      strides,
      dilations,
      pad,
      dimRoundingMode,
    };
  },
  opInputs: (i, info) => [{int32: info.inShape}, i.filter!, i.dy!],
};

/**
 * DepthwiseConv2dNativeBackpropInput (the depthwise input gradient) in the compute format: TF's
 * op of that name with `T = half | bfloat16`. Outside a compute-format context and its backward
 * pass: tfjs-node's kernel.
 */
export const depthwiseConv2dNativeBackpropInput: KernelFunc = tensorflowConvKernel(spec);

export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = tensorflowConvConfig(
  spec,
  depthwiseConv2dNativeBackpropInput,
);
