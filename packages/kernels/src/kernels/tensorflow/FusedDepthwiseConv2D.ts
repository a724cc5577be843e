import * as tf from '@tensorflow/tfjs';
import {
  FusedDepthwiseConv2D,
  type FusedDepthwiseConv2DAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import {convAttrs} from '../../native/conv-attrs.js';
import {HandleScope} from '../../native/binding.js';
import {epilogue, runHalfOp} from '../../native/native-op.js';
import {isElementwiseOpSupported} from '../../native/probe.js';
import {type OverrideArgs, runOverride} from '../../native/overrides.js';

const backendName = 'tensorflow';

/**
 * FusedDepthwiseConv2D in the compute format: TF's `DepthwiseConv2dNative` with
 * `T = half | bfloat16`, then bias and activation in the format where TF has them on this device
 * (else in float32, as tfjs-node's own kernel composes them). Outside a compute-format context: tfjs-node's kernel.
 */
export const fusedDepthwiseConv2D: KernelFunc = (args) => {
  const {x, filter, bias, preluActivationWeights} = args.inputs as {
    x: TensorInfo;
    filter: TensorInfo;
    bias?: TensorInfo;
    preluActivationWeights?: TensorInfo;
  };
  const {strides, pad, dilations, dimRoundingMode, activation, leakyreluAlpha} =
    args.attrs as unknown as FusedDepthwiseConv2DAttrs;
  return runOverride(args as OverrideArgs, {
    kernelName: FusedDepthwiseConv2D,
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
      if (attrs == null) return null;
      const scope = new HandleScope(node.binding);
      try {
        const product = runHalfOp(node, scope, 'DepthwiseConv2dNative', format, attrs, [x, filter]);
        return epilogue(
          node,
          scope,
          product,
          format,
          {bias, activation, preluActivationWeights, leakyreluAlpha},
          (op) => isElementwiseOpSupported(node, op, format),
        );
      } finally {
        scope.dispose();
      }
    },
  });
};

export const fusedDepthwiseConv2DConfig: KernelConfig = {
  kernelName: FusedDepthwiseConv2D,
  backendName,
  kernelFunc: fusedDepthwiseConv2D,
};
