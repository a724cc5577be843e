import * as tf from '@tensorflow/tfjs';
import {
  Conv2D,
  type Conv2DAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import {convAttrs} from '../../native/conv-attrs.js';
import {runNativeOp} from '../../native/native-op.js';
import {type OverrideArgs, runOverride} from '../../native/overrides.js';

const backendName = 'tensorflow';

/**
 * Conv2D in the compute format: TF's `Conv2D` with `T = half | bfloat16` (VALID, SAME or
 * explicit padding, strides, dilations). Outside a compute-format context: tfjs-node's own kernel.
 */
export const conv2D: KernelFunc = (args) => {
  const {x, filter} = args.inputs as {x: TensorInfo; filter: TensorInfo};
  const {strides, pad, dataFormat, dilations, dimRoundingMode} =
    args.attrs as unknown as Conv2DAttrs;
  return runOverride(args as OverrideArgs, {
    kernelName: Conv2D,
    backendName,
    op: 'Conv2D',
    matrixInputs: [x, filter],
    native: (node, format) => {
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        filter.shape as [number, number, number, number],
        strides,
        dilations,
        pad,
        dimRoundingMode,
        false,
        tf.backend_util.convertConv2DDataFormat(dataFormat),
      );
      const attrs = convAttrs(node.binding, info, {allowExplicit: true});
      return attrs == null ? null : runNativeOp(node, 'Conv2D', format, attrs, [x, filter]);
    },
  });
};

export const conv2DConfig: KernelConfig = {
  kernelName: Conv2D,
  backendName,
  kernelFunc: conv2D,
};
