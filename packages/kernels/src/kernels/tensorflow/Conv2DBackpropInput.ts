import * as tf from '@tensorflow/tfjs';
import {
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
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
  kernelName: Conv2DBackpropInput,
  op: 'Conv2DBackpropInput',
  depthwise: false,
  allowExplicit: false,
  matrixInputs: (i) => [i.dy!, i.filter!],
  geometry: (i, a) => {
    const {strides, pad, dataFormat, dimRoundingMode, inputShape} =
      a as unknown as Conv2DBackpropInputAttrs;
    return {
      inShape: inputShape,
      filterShape: shape4(i.filter),
      strides,
      dilations: 1,
      pad,
      dimRoundingMode,
      dataFormat: tf.backend_util.convertConv2DDataFormat(dataFormat),
    };
  },
  opInputs: (i, info) => [{int32: info.inShape}, i.filter!, i.dy!],
};

/**
 * Conv2DBackpropInput (Conv2D's input gradient, and conv2dTranspose's forward) in the compute
 * format: TF's `Conv2DBackpropInput` with `T = half | bfloat16`. VALID and SAME padding, as
 * tfjs-node's own kernel. Outside a compute-format context and its backward pass: tfjs-node's kernel.
 */
export const conv2DBackpropInput: KernelFunc = withRoundedOutput(
  withRoundedWeight('filter', tensorflowConvKernel(spec)),
);

export const conv2DBackpropInputConfig: KernelConfig = tensorflowConvConfig(
  spec,
  conv2DBackpropInput,
);
