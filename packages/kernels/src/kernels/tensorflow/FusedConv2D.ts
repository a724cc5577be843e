import * as tf from '@tensorflow/tfjs';
import {
  FusedConv2D,
  type FusedConv2DAttrs,
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
 * FusedConv2D (tfjs-layers' Conv2D with bias and activation) in the compute format: TF's `Conv2D`
 * with `T = half | bfloat16`, then bias and activation in the format where TF has them on this
 * device (else in float32 on the format's values, as tfjs-node's own kernel composes them) (TF's `_FusedConv2D` takes a list-of-strings attribute the
 * binding cannot pass). Outside a compute-format context: tfjs-node's kernel.
 */
export const fusedConv2D: KernelFunc = (args) => {
  const {x, filter, bias, preluActivationWeights} = args.inputs as {
    x: TensorInfo;
    filter: TensorInfo;
    bias?: TensorInfo;
    preluActivationWeights?: TensorInfo;
  };
  const {strides, pad, dataFormat, dilations, dimRoundingMode, activation, leakyreluAlpha} =
    args.attrs as unknown as FusedConv2DAttrs;
  return runOverride(args as OverrideArgs, {
    kernelName: FusedConv2D,
    backendName,
    op: 'Conv2D',
    matrixInputs: [x, filter],
    native: (node, format) => {
      if (dataFormat !== 'NHWC') return null;
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        filter.shape as [number, number, number, number],
        strides,
        dilations,
        pad,
        dimRoundingMode,
        false,
        'channelsLast',
      );
      const attrs = convAttrs(node.binding, info, {allowExplicit: true});
      if (attrs == null) return null;
      const scope = new HandleScope(node.binding);
      try {
        const product = runHalfOp(node, scope, 'Conv2D', format, attrs, [x, filter]);
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

export const fusedConv2DConfig: KernelConfig = {
  kernelName: FusedConv2D,
  backendName,
  kernelFunc: fusedConv2D,
};
