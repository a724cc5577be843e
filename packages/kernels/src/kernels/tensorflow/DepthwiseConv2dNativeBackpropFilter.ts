import * as tf from '@tensorflow/tfjs';
import {
  DepthwiseConv2dNativeBackpropFilter,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import {convAttrs} from '../../native/conv-attrs.js';
import {runNativeOp} from '../../native/native-op.js';
import {type OverrideArgs, runOverride} from '../../native/overrides.js';

const backendName = 'tensorflow';

/**
 * DepthwiseConv2dNativeBackpropFilter (the depthwise filter gradient) in the compute format: TF's
 * op of that name with `T = half | bfloat16`. Outside a compute-format context and its backward
 * pass: tfjs-node's kernel.
 */
export const depthwiseConv2dNativeBackpropFilter: KernelFunc = (args) => {
  const {x, dy} = args.inputs as {x: TensorInfo; dy: TensorInfo};
  const {strides, dilations, pad, dimRoundingMode, filterShape} =
    args.attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
  return runOverride(args as OverrideArgs, {
    kernelName: DepthwiseConv2dNativeBackpropFilter,
    backendName,
    op: 'DepthwiseConv2dNativeBackpropFilter',
    matrixInputs: [x, dy],
    native: (node, format) => {
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        filterShape,
        strides,
        dilations,
        pad,
        dimRoundingMode,
        true,
      );
      const attrs = convAttrs(node.binding, info, {allowExplicit: false});
      return attrs == null
        ? null
        : runNativeOp(node, 'DepthwiseConv2dNativeBackpropFilter', format, attrs, [
            x,
            {int32: info.filterShape},
            dy,
          ]);
    },
  });
};

export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName,
  kernelFunc: depthwiseConv2dNativeBackpropFilter,
};
