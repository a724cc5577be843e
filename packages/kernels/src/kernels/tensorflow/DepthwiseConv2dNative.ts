import {
  DepthwiseConv2dNative,
  type DepthwiseConv2dNativeAttrs,
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
  kernelName: DepthwiseConv2dNative,
  op: 'DepthwiseConv2dNative',
  depthwise: true,
  allowExplicit: true,
  matrixInputs: (i) => [i.x!, i.filter!],
  geometry: (i, a) => {
    const {strides, pad, dilations, dimRoundingMode} = a as unknown as DepthwiseConv2dNativeAttrs;
    return {
      inShape: shape4(i.x),
      filterShape: shape4(i.filter),
      strides,
      dilations: dilations ?? [1, 1],
      pad,
      dimRoundingMode,
    };
  },
  opInputs: (i) => [i.x!, i.filter!],
};

/**
 * DepthwiseConv2dNative in the compute format: TF's `DepthwiseConv2dNative` with
 * `T = half | bfloat16` (NHWC, as tfjs-node's own kernel). Outside a compute-format context:
 * tfjs-node's kernel.
 */
export const depthwiseConv2dNative: KernelFunc = tensorflowConvKernel(spec);

export const depthwiseConv2dNativeConfig: KernelConfig = tensorflowConvConfig(
  spec,
  depthwiseConv2dNative,
);
