import * as tf from '@tensorflow/tfjs';
import {
  DepthwiseConv2dNativeBackpropInput,
  type DepthwiseConv2dNativeBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import {convAttrs} from '../../native/conv-attrs.js';
import {runNativeOp} from '../../native/native-op.js';
import {type OverrideArgs, runOverride} from '../../native/overrides.js';

const backendName = 'tensorflow';

/**
 * DepthwiseConv2dNativeBackpropInput (the depthwise input gradient) in the compute format: TF's
 * op of that name with `T = half | bfloat16`. Outside a compute-format context and its backward
 * pass: tfjs-node's kernel.
 */
export const depthwiseConv2dNativeBackpropInput: KernelFunc = (args) => {
  const {dy, filter} = args.inputs as {dy: TensorInfo; filter: TensorInfo};
  const {strides, dilations, pad, dimRoundingMode, inputShape} =
    args.attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
  return runOverride(args as OverrideArgs, {
    kernelName: DepthwiseConv2dNativeBackpropInput,
    backendName,
    op: 'DepthwiseConv2dNativeBackpropInput',
    matrixInputs: [dy, filter],
    native: (node, format) => {
      const info = tf.backend_util.computeConv2DInfo(
        inputShape,
        filter.shape as [number, number, number, number],
        strides,
        dilations,
        pad,
        dimRoundingMode,
        true,
      );
      const attrs = convAttrs(node.binding, info, {allowExplicit: false});
      return attrs == null
        ? null
        : runNativeOp(node, 'DepthwiseConv2dNativeBackpropInput', format, attrs, [
            {int32: info.inShape},
            filter,
            dy,
          ]);
    },
  });
};

export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName,
  kernelFunc: depthwiseConv2dNativeBackpropInput,
};
