import {
  FusedDepthwiseConv2D,
  type FusedDepthwiseConv2DAttrs,
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
  kernelName: FusedDepthwiseConv2D,
  op: 'DepthwiseConv2dNative',
  depthwise: true,
  allowExplicit: true,
  fused: true,
  matrixInputs: (i) => [i.x!, i.filter!],
  geometry: (i, a) => {
    const {strides, pad, dilations, dimRoundingMode} = a as unknown as FusedDepthwiseConv2DAttrs;
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
 * FusedDepthwiseConv2D in the compute format: TF's `DepthwiseConv2dNative` with
 * `T = half | bfloat16`, then bias and activation in the format where TF has them on this device
 * (else in float32, as tfjs-node's own kernel composes them). Outside a compute-format context: tfjs-node's kernel.
 */
export const fusedDepthwiseConv2D: KernelFunc = tensorflowConvKernel(spec);

export const fusedDepthwiseConv2DConfig: KernelConfig = tensorflowConvConfig(
  spec,
  fusedDepthwiseConv2D,
);
