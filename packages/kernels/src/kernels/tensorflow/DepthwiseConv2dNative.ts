import * as tf from '@tensorflow/tfjs';
import {
  DepthwiseConv2dNative,
  type DepthwiseConv2dNativeAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import {convAttrs} from '../../native/conv-attrs.js';
import {runNativeOp} from '../../native/native-op.js';
import {type OverrideArgs, runOverride} from '../../native/overrides.js';

const backendName = 'tensorflow';

/**
 * DepthwiseConv2dNative in the compute format: TF's `DepthwiseConv2dNative` with
 * `T = half | bfloat16` (NHWC, as tfjs-node's own kernel). Outside a compute-format context:
 * tfjs-node's kernel.
 */
export const depthwiseConv2dNative: KernelFunc = (args) => {
  const {x, filter} = args.inputs as {x: TensorInfo; filter: TensorInfo};
  const {strides, pad, dilations, dimRoundingMode} =
    args.attrs as unknown as DepthwiseConv2dNativeAttrs;
  return runOverride(args as OverrideArgs, {
    kernelName: DepthwiseConv2dNative,
    backendName,
    op: 'DepthwiseConv2dNative',
    matrixInputs: [x, filter],
    native: (node, format) => {
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        filter.shape as [number, number, number, number],
        strides,
        dilations ?? [1, 1],
        pad,
        dimRoundingMode,
        true,
      );
      const attrs = convAttrs(node.binding, info, {allowExplicit: true});
      return attrs == null
        ? null
        : runNativeOp(node, 'DepthwiseConv2dNative', format, attrs, [x, filter]);
    },
  });
};

export const depthwiseConv2dNativeConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNative,
  backendName,
  kernelFunc: depthwiseConv2dNative,
};
