import * as tf from '@tensorflow/tfjs';
import {
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  FusedConv2D,
  type GradConfig,
  type NamedAttrMap,
  type Tensor,
} from '@tensorflow/tfjs';
import {describeValue, invalidChoice, wrongType} from '../internal/errors.js';
import {ensureAmpKernels} from '../kernels/register-kernels.js';
import {biasBackward} from './bias-backward.js';
import {reluBackward} from './relu-backward.js';
import {ensureRounded, roundingOption} from './round-output.js';
import {ROUND_INPUT_ATTR, ROUND_OUTPUT_ATTR, ROUND_WEIGHT_ATTR} from '../kernel-names.js';
import {quantize} from './quantize.js';
import type {FormatName} from '../formats/format-spec.js';
import {FUSED_MAT_MUL_ACTIVATIONS} from './fused-mat-mul.js';

/** Arguments of {@link fusedConv2d} (NHWC, no dilation: what its gradient supports). */
export interface FusedConv2dArgs {
  /** `[batch, height, width, inChannels]` float32. */
  x: tf.Tensor4D;
  /** `[filterHeight, filterWidth, inChannels, outChannels]` float32. */
  filter: tf.Tensor4D;
  strides: [number, number] | number;
  pad: 'valid' | 'same';
  /** `[outChannels]` float32, or none. */
  bias?: tf.Tensor1D;
  /** `linear` (default) or `relu`. */
  activation?: 'linear' | 'relu';
  /** A format to round the result to (default none): as `fusedMatMul`'s. */
  roundOutputTo?: FormatName;
  /**
   * A format to read `filter` in (default none): as `fusedMatMul`'s `roundWeightTo` for `b` (the
   * values of `quantize(filter, format)` before the op; on tfjs-node no rounded copy outlives a
   * convolution).
   */
  roundWeightTo?: FormatName;
  /** A format to read `x` in (default none): as `fusedMatMul`'s `roundInputTo` for `a`. */
  roundInputTo?: FormatName;
}

/**
 * `activation(conv2d(x, filter) + bias)` as one `FusedConv2D` kernel, also while a gradient tape
 * records (tfjs's `tf.fused.conv2d` splits a relu off there, and differentiates a linear one with
 * a closure that also computes the input's gradient when the input is the model's data). Its
 * registered gradient computes only what the tape needs, through tfjs's own Conv2D gradient.
 * Inside `withComputeFormat` on tfjs-node it runs natively in the format, epilogue included.
 * Relu's gradient where the output is NaN is 0 on tfjs-node (TF's ReluGrad), NaN elsewhere.
 * Natively, the bias's gradient of a 16-bit gradient is rounded to the format once (float32
 * sums), as an emulated bias cast point rounds it.
 * @throws TypeError for non-float32 or wrongly shaped inputs or an unknown activation.
 * @example
 * const y = fusedConv2d({x, filter, strides: 1, pad: 'same', bias, activation: 'relu'});
 */
export function fusedConv2d({
  x,
  filter,
  strides,
  pad,
  bias,
  activation = 'linear',
  roundOutputTo,
  roundWeightTo,
  roundInputTo,
}: FusedConv2dArgs): tf.Tensor4D {
  const roundTo = roundingOption('fusedConv2d', 'roundOutputTo', roundOutputTo);
  const weightTo = roundingOption('fusedConv2d', 'roundWeightTo', roundWeightTo);
  const inputTo = roundingOption('fusedConv2d', 'roundInputTo', roundInputTo);
  for (const [name, t, rank] of [
    ['x', x, 4],
    ['filter', filter, 4],
    ['bias', bias, 1],
  ] as const) {
    if (t == null && name === 'bias') continue;
    if (!(t instanceof tf.Tensor) || t.dtype !== 'float32' || t.rank !== rank) {
      throw wrongType('fusedConv2d', name, `a float32 tensor of rank ${rank}`, describeValue(t));
    }
  }
  if (!FUSED_MAT_MUL_ACTIVATIONS.includes(activation)) {
    throw invalidChoice('fusedConv2d', 'activation', activation, FUSED_MAT_MUL_ACTIVATIONS);
  }
  if (x.shape[3] !== filter.shape[2] || (bias != null && bias.shape[0] !== filter.shape[3])) {
    throw new TypeError(
      `fusedConv2d: shapes do not fit: x [${x.shape}], filter [${filter.shape}]` +
        `${bias == null ? '' : `, bias [${bias.shape}]`}; want [b, h, w, c], [fh, fw, c, n], [n].`,
    );
  }
  ensureAmpKernels(tf.getBackend());
  const native = tf.getBackend() === 'tensorflow';
  return tf.tidy(() => {
    // Elsewhere the filter's cast point is an op before the kernel (its copy is kept for the
    // gradient, as the tape keeps any input).
    // The input's cast point: on tfjs-node its gradient passes straight through, as the kernel
    // rounds x's gradient.
    const inputs: Record<string, Tensor> = {
      x: inputTo == null ? x : quantize(x, inputTo, native ? {gradFormat: null} : {}),
      filter: native || weightTo == null ? filter : quantize(filter, weightTo),
    };
    if (bias != null) inputs.bias = bias;
    const attrs = {
      strides,
      pad,
      dataFormat: 'NHWC',
      dilations: [1, 1],
      activation,
      leakyreluAlpha: 0.2,
      ...(roundTo == null ? {} : {[ROUND_OUTPUT_ATTR]: roundTo}),
      ...(native && weightTo != null ? {[ROUND_WEIGHT_ATTR]: weightTo} : {}),
      ...(native && inputTo != null ? {[ROUND_INPUT_ATTR]: inputTo} : {}),
    };
    // In a tidy: where the op rounds after the kernel, the kernel's own result goes with it (unless
    // the gradient tape keeps it).
    return ensureRounded(
      tf.engine().runKernel(FusedConv2D, inputs, attrs as unknown as NamedAttrMap) as tf.Tensor4D,
      roundTo,
    );
  });
}

/**
 * The gradient of `FusedConv2D` when it is run as a kernel (by {@link fusedConv2d}): the relu's
 * through the saved output, then tfjs's own Conv2D gradient for `x` and `filter`, and the bias's
 * as a sum; each a thunk, so the tape computes only those it needs.
 */
export const fusedConv2dGradConfig: GradConfig = {
  kernelName: FusedConv2D,
  inputsToSave: ['x', 'filter'],
  outputsToSave: [true],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [x, filter, y] = saved as [Tensor, Tensor, Tensor];
    const {activation} = attrs as unknown as {activation?: string};
    const g = dy as Tensor;
    // Once for all three gradients (the engine's backward scope disposes it).
    const act = activation == null || activation === 'linear' ? g : reluBackward(g, y as Tensor);
    const weightTo = (attrs as Record<string, unknown>)[ROUND_WEIGHT_ATTR] as
      | FormatName
      | undefined;
    const inputTo = (attrs as Record<string, unknown>)[ROUND_INPUT_ATTR] as FormatName | undefined;
    if (weightTo != null || inputTo != null) {
      // The filter and/or x were read rounded (tfjs-node): Conv2D's gradients with the filter
      // rounded by the input-gradient kernel and each gradient rounded by its kernel, the values
      // of a cast point before each.
      const conv = {
        strides: attrs.strides,
        pad: attrs.pad,
        dataFormat: 'NHWC',
        dimRoundingMode: attrs.dimRoundingMode,
      };
      return {
        x: () =>
          ensureRounded(
            tf.engine().runKernel(Conv2DBackpropInput, {dy: act, filter}, {
              ...conv,
              inputShape: x.shape,
              ...(weightTo == null ? {} : {[ROUND_WEIGHT_ATTR]: weightTo}),
              ...(inputTo == null ? {} : {[ROUND_OUTPUT_ATTR]: inputTo}),
            } as unknown as NamedAttrMap) as Tensor,
            inputTo,
          ),
        filter: () =>
          ensureRounded(
            tf.engine().runKernel(Conv2DBackpropFilter, {x, dy: act}, {
              ...conv,
              filterShape: filter.shape,
              ...(weightTo == null ? {} : {[ROUND_OUTPUT_ATTR]: weightTo}),
            } as unknown as NamedAttrMap) as Tensor,
            weightTo,
          ),
        bias: () => biasBackward(act),
      };
    }
    const conv = tf.getGradient(Conv2D)!.gradFunc(act, [x, filter], attrs);
    return {
      x: conv.x!,
      filter: conv.filter!,
      bias: () => biasBackward(act),
    };
  },
};
