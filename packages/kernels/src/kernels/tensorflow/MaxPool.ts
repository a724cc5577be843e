import * as tf from '@tensorflow/tfjs';
import {
  type KernelConfig,
  type KernelFunc,
  MaxPool,
  type MaxPoolAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs';
import {asNodeBackend, HandleScope, isNativeComputeFormat} from '../../native/binding.js';
import {getComputeFormat} from '../../native/context.js';
import {cachedHalf, isRoundedData} from '../../native/half-cache.js';
import {float32Of, runHalfOp} from '../../native/native-op.js';
import {originalKernel} from '../../native/overrides.js';
import {isElementwiseOpSupported} from '../../native/probe.js';

const backendName = 'tensorflow';

/**
 * MaxPool on a native output in the compute format: TF's MaxPool with `T = half | bfloat16` on
 * its 16-bit copy, so a CNN's activations stay 16-bit through its pooling layers (a max selects
 * values, so on rounded input the result is the same, bit for bit, as tfjs-node's float32
 * kernel). Only inside a compute-format context, for an input known rounded that has a 16-bit
 * copy; everything else is tfjs-node's own kernel.
 */
export const maxPool: KernelFunc = (args) => {
  const x = args.inputs.x as TensorInfo;
  const node = asNodeBackend(args.backend);
  const format = getComputeFormat();
  if (
    node != null &&
    format != null &&
    isNativeComputeFormat(format) &&
    x.dtype === 'float32' &&
    isRoundedData(x, format) &&
    cachedHalf(node, x, format) != null &&
    isElementwiseOpSupported(node, 'MaxPool', format)
  ) {
    const {filterSize, strides, pad, dimRoundingMode} = args.attrs as unknown as MaxPoolAttrs;
    const info = tf.backend_util.computePool2DInfo(
      x.shape as [number, number, number, number],
      filterSize,
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    const padding = info.padInfo.type;
    if ((padding === 'VALID' || padding === 'SAME') && info.dataFormat === 'channelsLast') {
      const binding = node.binding;
      const scope = new HandleScope(binding);
      try {
        const half = runHalfOp(
          node,
          scope,
          'MaxPool',
          format,
          [
            {
              name: 'ksize',
              type: binding.TF_ATTR_INT,
              value: [1, info.filterHeight, info.filterWidth, 1],
            },
            {
              name: 'strides',
              type: binding.TF_ATTR_INT,
              value: [1, info.strideHeight, info.strideWidth, 1],
            },
            {name: 'padding', type: binding.TF_ATTR_STRING, value: padding},
            {name: 'data_format', type: binding.TF_ATTR_STRING, value: 'NHWC'},
          ],
          [x],
        );
        return float32Of(node, scope, half, format);
      } finally {
        scope.dispose();
      }
    }
  }
  return originalKernel(MaxPool, backendName)(args);
};

export const maxPoolConfig: KernelConfig = {
  kernelName: MaxPool,
  backendName,
  kernelFunc: maxPool,
};
