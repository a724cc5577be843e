import {
  FusedConv2D,
  type FusedConv2DAttrs,
  type KernelConfig,
  type KernelFunc,
} from '@tensorflow/tfjs';
import {
  shape4,
  tensorflowConvConfig,
  tensorflowConvKernel,
  type TensorflowConvSpec,
} from '../shared/tensorflow-conv.js';
import {withRoundedOutput, withRoundedWeight} from '../shared/round-output.js';

const spec: TensorflowConvSpec = {
  kernelName: FusedConv2D,
  op: 'Conv2D',
  depthwise: false,
  allowExplicit: true,
  fused: true,
  matrixInputs: (i) => [i.x!, i.filter!],
  geometry: (i, a) => {
    const {strides, pad, dataFormat, dilations, dimRoundingMode} = a as unknown as FusedConv2DAttrs;
    if (dataFormat !== 'NHWC') return null;
    return {
      inShape: shape4(i.x),
      filterShape: shape4(i.filter),
      strides,
      dilations,
      pad,
      dimRoundingMode,
      dataFormat: 'channelsLast',
    };
  },
  opInputs: (i) => [i.x!, i.filter!],
};

/**
 * FusedConv2D (tfjs-layers' Conv2D with bias and activation) in the compute format: TF's `Conv2D`
 * with `T = half | bfloat16`, then bias and activation in the format where TF has them on this
 * device (else in float32 on the format's values, as tfjs-node's own kernel composes them) (TF's `_FusedConv2D` takes a list-of-strings attribute the
 * binding cannot pass). Outside a compute-format context: tfjs-node's kernel. With
 * `ROUND_WEIGHT_ATTR` the filter is read rounded (a copy freed after the convolution); with
 * `ROUND_OUTPUT_ATTR` the result is rounded.
 */
export const fusedConv2D: KernelFunc = withRoundedOutput(
  withRoundedWeight('filter', tensorflowConvKernel(spec)),
);

export const fusedConv2DConfig: KernelConfig = tensorflowConvConfig(spec, fusedConv2D);
