import * as tf from '@tensorflow/tfjs';
import {Conv2D, type Conv2DAttrs, type KernelConfig, type KernelFunc} from '@tensorflow/tfjs';
import {
  shape4,
  tensorflowConvConfig,
  tensorflowConvKernel,
  type TensorflowConvSpec,
} from '../shared/tensorflow-conv.js';

const spec: TensorflowConvSpec = {
  kernelName: Conv2D,
  op: 'Conv2D',
  depthwise: false,
  allowExplicit: true,
  matrixInputs: (i) => [i.x!, i.filter!],
  geometry: (i, a) => {
    const {strides, pad, dataFormat, dilations, dimRoundingMode} = a as unknown as Conv2DAttrs;
    return {
      inShape: shape4(i.x),
      filterShape: shape4(i.filter),
      strides,
      dilations,
      pad,
      dimRoundingMode,
      dataFormat: tf.backend_util.convertConv2DDataFormat(dataFormat),
    };
  },
  opInputs: (i) => [i.x!, i.filter!],
};

/**
 * Conv2D in the compute format: TF's `Conv2D` with `T = half | bfloat16` (VALID, SAME or
 * explicit padding, strides, dilations). Outside a compute-format context: tfjs-node's own kernel.
 */
export const conv2D: KernelFunc = tensorflowConvKernel(spec);

export const conv2DConfig: KernelConfig = tensorflowConvConfig(spec, conv2D);
