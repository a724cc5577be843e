import * as tf from '@tensorflow/tfjs';
import {
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import {convAttrs} from '../../native/conv-attrs.js';
import {runNativeOp} from '../../native/native-op.js';
import {type OverrideArgs, runOverride} from '../../native/overrides.js';

const backendName = 'tensorflow';

/**
 * Conv2DBackpropInput (Conv2D's input gradient, and conv2dTranspose's forward) in the compute
 * format: TF's `Conv2DBackpropInput` with `T = half | bfloat16`. VALID and SAME padding, as
 * tfjs-node's own kernel. Outside a compute-format context and its backward pass: tfjs-node's kernel.
 */
export const conv2DBackpropInput: KernelFunc = (args) => {
  const {dy, filter} = args.inputs as {dy: TensorInfo; filter: TensorInfo};
  const {strides, pad, dataFormat, dimRoundingMode, inputShape} =
    args.attrs as unknown as Conv2DBackpropInputAttrs;
  return runOverride(args as OverrideArgs, {
    kernelName: Conv2DBackpropInput,
    backendName,
    op: 'Conv2DBackpropInput',
    matrixInputs: [dy, filter],
    native: (node, format) => {
      const info = tf.backend_util.computeConv2DInfo(
        inputShape,
        filter.shape as [number, number, number, number],
        strides,
        1,
        pad,
        dimRoundingMode,
        false,
        tf.backend_util.convertConv2DDataFormat(dataFormat),
      );
      const attrs = convAttrs(node.binding, info, {allowExplicit: false});
      return attrs == null
        ? null
        : runNativeOp(node, 'Conv2DBackpropInput', format, attrs, [
            {int32: info.inShape},
            filter,
            dy,
          ]);
    },
  });
};

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName,
  kernelFunc: conv2DBackpropInput,
};
