import {type KernelConfig, type KernelFunc, MaxPoolGrad, type TensorInfo} from '@tensorflow/tfjs';
import {asNodeBackend} from '../../native/binding.js';
import {sharedHalfFormat} from '../../native/half-cache.js';
import {runNativeOp} from '../../native/native-op.js';
import {originalKernel} from '../../native/overrides.js';
import {isElementwiseOpSupported} from '../../native/probe.js';
import {tfPoolAttrs} from '../shared/tensorflow-pool.js';

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
  const format = node == null ? undefined : sharedHalfFormat(node, operands);
  if (node != null && format != null && isElementwiseOpSupported(node, 'MaxPoolGrad', format)) {
    const pool = tfPoolAttrs(node.binding, input.shape, args.attrs);
    if (pool?.disjoint === true) {
      return runNativeOp(node, 'MaxPoolGrad', format, pool.attrs, operands);
    }
  }
  return originalKernel(MaxPoolGrad, backendName)(args);
};

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName,
  kernelFunc: maxPoolGrad,
};
