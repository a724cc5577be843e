import * as tf from '@tensorflow/tfjs';
import {
  type KernelConfig,
  type KernelFunc,
  MaxPoolGrad,
  type MaxPoolGradAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs';
import {HandleScope, NATIVE_COMPUTE_FORMATS, asNodeBackend} from '../../native/binding.js';
import {cachedHalf, isRoundedData} from '../../native/half-cache.js';
import {float32Of, runHalfOp} from '../../native/native-op.js';
import {originalKernel} from '../../native/overrides.js';
import {isElementwiseOpSupported} from '../../native/probe.js';

const backendName = 'tensorflow';

/**
 * MaxPool's gradient in a 16-bit format, on 16-bit copies: where the pooled input, the pooled
 * output and the incoming gradient all hold only the format's values and have their copies (a CNN
 * whose convolutions run natively: its relu'd outputs, MaxPool's 16-bit output, and the gradient
 * the next native layer passed down), TF's MaxPoolGrad with `T = half | bfloat16`, and the result
 * stays 16-bit for the relu gradient and the convolution's backward kernels. Only for windows that
 * do not overlap (strides at least the window): then each input element receives at most one
 * gradient value, so nothing is summed in 16 bits and the result is tfjs-node's float32 kernel's,
 * bit for bit (comparisons of exactly widened values pick the same maxima). Everything else is
 * tfjs-node's own kernel.
 */
export const maxPoolGrad: KernelFunc = (args) => {
  const {dy, input, output} = args.inputs as {
    dy: TensorInfo;
    input: TensorInfo;
    output: TensorInfo;
  };
  const node = asNodeBackend(args.backend);
  const operands = [input, output, dy];
  const format =
    node == null || operands.some((t) => t.dtype !== 'float32')
      ? undefined
      : NATIVE_COMPUTE_FORMATS.find((f) =>
          operands.every((t) => isRoundedData(t, f) && cachedHalf(node, t, f) != null),
        );
  if (node != null && format != null && isElementwiseOpSupported(node, 'MaxPoolGrad', format)) {
    const {filterSize, strides, pad, dimRoundingMode} = args.attrs as unknown as MaxPoolGradAttrs;
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      filterSize,
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    const padding = info.padInfo.type;
    const disjoint = info.strideHeight >= info.filterHeight && info.strideWidth >= info.filterWidth;
    if (
      disjoint &&
      (padding === 'VALID' || padding === 'SAME') &&
      info.dataFormat === 'channelsLast'
    ) {
      const binding = node.binding;
      const scope = new HandleScope(binding);
      try {
        const half = runHalfOp(
          node,
          scope,
          'MaxPoolGrad',
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
          operands,
        );
        return float32Of(node, scope, half, format);
      } finally {
        scope.dispose();
      }
    }
  }
  return originalKernel(MaxPoolGrad, backendName)(args);
};

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName,
  kernelFunc: maxPoolGrad,
};
