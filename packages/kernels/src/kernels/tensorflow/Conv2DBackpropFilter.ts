import * as tf from '@tensorflow/tfjs';
import {
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import {convAttrs} from '../../native/conv-attrs.js';
import {runNativeOp} from '../../native/native-op.js';
import {type OverrideArgs, runOverride} from '../../native/overrides.js';

const backendName = 'tensorflow';

/**
 * Conv2DBackpropFilter (Conv2D's filter gradient) in the compute format: TF's
 * `Conv2DBackpropFilter` with `T = half | bfloat16`. VALID and SAME padding, as tfjs-node's own
 * kernel. Outside a compute-format context and its backward pass: tfjs-node's kernel.
 */
export const conv2DBackpropFilter: KernelFunc = (args) => {
  const {x, dy} = args.inputs as {x: TensorInfo; dy: TensorInfo};
  const {strides, pad, dataFormat, dimRoundingMode, filterShape} =
    args.attrs as unknown as Conv2DBackpropFilterAttrs;
  return runOverride(args as OverrideArgs, {
    kernelName: Conv2DBackpropFilter,
    backendName,
    op: 'Conv2DBackpropFilter',
    matrixInputs: [x, dy],
    native: (node, format) => {
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        filterShape,
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
        : runNativeOp(node, 'Conv2DBackpropFilter', format, attrs, [
            x,
            {int32: info.filterShape},
            dy,
          ]);
    },
  });
};

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName,
  kernelFunc: conv2DBackpropFilter,
};
