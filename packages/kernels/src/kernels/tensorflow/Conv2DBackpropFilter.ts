import * as tf from '@tensorflow/tfjs';
import {
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
} from '@tensorflow/tfjs';
import {
  shape4,
  tensorflowConvConfig,
  tensorflowConvKernel,
  type TensorflowConvSpec,
} from '../shared/tensorflow-conv.js';
import {withRoundedOutput} from '../shared/round-output.js';

const spec: TensorflowConvSpec = {
  kernelName: Conv2DBackpropFilter,
  op: 'Conv2DBackpropFilter',
  depthwise: false,
  allowExplicit: false,
  matrixInputs: (i) => [i.x!, i.dy!],
  geometry: (i, a) => {
    const {strides, pad, dataFormat, dimRoundingMode, filterShape} =
      a as unknown as Conv2DBackpropFilterAttrs;
    return {
      inShape: shape4(i.x),
      filterShape,
      strides,
      dilations: 1,
      pad,
      dimRoundingMode,
      dataFormat: tf.backend_util.convertConv2DDataFormat(dataFormat),
    };
  },
  opInputs: (i, info) => [i.x!, {int32: info.filterShape}, i.dy!],
};

/**
 * Conv2DBackpropFilter (Conv2D's filter gradient) in the compute format: TF's
 * `Conv2DBackpropFilter` with `T = half | bfloat16`. VALID and SAME padding, as tfjs-node's own
 * kernel. Outside a compute-format context and its backward pass: tfjs-node's kernel.
 */
export const conv2DBackpropFilter: KernelFunc = withRoundedOutput(tensorflowConvKernel(spec));

export const conv2DBackpropFilterConfig: KernelConfig = tensorflowConvConfig(
  spec,
  conv2DBackpropFilter,
);
