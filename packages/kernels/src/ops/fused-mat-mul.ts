import * as tf from '@tensorflow/tfjs';
import {_FusedMatMul, type GradConfig, type NamedAttrMap, type Tensor} from '@tensorflow/tfjs';
import {describeValue, invalidChoice, wrongType} from '../internal/errors.js';
import {ensureAmpKernels} from '../kernels/register-kernels.js';
import {biasBackward} from './bias-backward.js';
import {reluBackward} from './relu-backward.js';
import {ensureRounded, roundingOption} from './round-output.js';
import {ROUND_INPUT_ATTR, ROUND_OUTPUT_ATTR, ROUND_WEIGHT_ATTR} from '../kernel-names.js';
import {quantize} from './quantize.js';
import type {FormatName} from '../formats/format-spec.js';

/** Activations {@link fusedMatMul} fuses (forward and backward). */
export const FUSED_MAT_MUL_ACTIVATIONS: readonly string[] = Object.freeze(['linear', 'relu']);

/** Arguments of {@link fusedMatMul}. */
export interface FusedMatMulArgs {
  /** `[m, k]` float32. */
  a: tf.Tensor2D;
  /** `[k, n]` float32. */
  b: tf.Tensor2D;
  /** `[n]` float32, or none. */
  bias?: tf.Tensor1D;
  /** `linear` (default) or `relu`. */
  activation?: 'linear' | 'relu';
  /**
   * A format to round the result to (default none): on tfjs-node inside the kernel, so only the
   * rounded result exists and relu's gradient reads it (as a 16-bit kernel's output); elsewhere
   * by a rounding after the kernel. The gradient passes the rounding straight through.
   */
  roundOutputTo?: FormatName;
  /**
   * A format to read `b` in (default none): the product uses `b` rounded to it, and `b`'s
   * gradient is rounded to it, as if `b` were `quantize(b, format)` (a cast point). On tfjs-node
   * the rounded copy exists only while a product runs (the gradient rounds `b` again for `a`'s
   * gradient), so a step holds no float32 rounded copy of the weight; elsewhere it is
   * `quantize(b, format)`.
   */
  roundWeightTo?: FormatName;
  /**
   * A format to read `a` in (default none): as if `a` were `quantize(a, format)` (a cast point:
   * the product reads `a` rounded, and `a`'s gradient is rounded). An `a` already rounded to the
   * format (a native output, an earlier `quantize`) costs nothing on tfjs-node, where the kernel
   * that computes `a`'s gradient rounds its own result: no float32 gradient beside the rounded
   * one. What a mixed policy's emulated Dense layer passes for its input.
   */
  roundInputTo?: FormatName;
}

/**
 * `activation(a · b + bias)` as one `_FusedMatMul` kernel, also while a gradient tape records:
 * tfjs's `tf.fused.matMul` splits a relu off into separate ops there, and differentiates a linear
 * one with a closure that computes every input's gradient. This runs the kernel itself, with a
 * registered gradient that computes only the gradients the tape needs (not the one of a model's
 * input data). Inside `withComputeFormat` on tfjs-node the whole of it (product, bias, relu) runs
 * in the format natively, and its gradients follow. Same values as `tf.fused.matMul` elsewhere,
 * except relu's gradient where the output is NaN: 0 on tfjs-node (TF's ReluGrad), NaN in tfjs.
 * Natively on tfjs-node, the bias's gradient of a 16-bit gradient is rounded to the format once
 * (float32 sums), as an emulated bias cast point rounds it.
 * @throws TypeError for non-float32 or wrongly shaped inputs or an unknown activation.
 * @example
 * const y = fusedMatMul({a: x, b: kernel, bias, activation: 'relu'}); // a Dense layer
 */
export function fusedMatMul({
  a,
  b,
  bias,
  activation = 'linear',
  roundOutputTo,
  roundWeightTo,
  roundInputTo,
}: FusedMatMulArgs): tf.Tensor2D {
  const roundTo = roundingOption('fusedMatMul', 'roundOutputTo', roundOutputTo);
  const weightTo = roundingOption('fusedMatMul', 'roundWeightTo', roundWeightTo);
  const inputTo = roundingOption('fusedMatMul', 'roundInputTo', roundInputTo);
  for (const [name, t, rank] of [
    ['a', a, 2],
    ['b', b, 2],
    ['bias', bias, 1],
  ] as const) {
    if (t == null && name === 'bias') continue;
    if (!(t instanceof tf.Tensor) || t.dtype !== 'float32' || t.rank !== rank) {
      throw wrongType('fusedMatMul', name, `a float32 tensor of rank ${rank}`, describeValue(t));
    }
  }
  if (a.shape[1] !== b.shape[0] || (bias != null && bias.shape[0] !== b.shape[1])) {
    throw new TypeError(
      `fusedMatMul: shapes do not fit: a [${a.shape}], b [${b.shape}]` +
        `${bias == null ? '' : `, bias [${bias.shape}]`}; want [m, k], [k, n], [n].`,
    );
  }
  if (!FUSED_MAT_MUL_ACTIVATIONS.includes(activation)) {
    throw invalidChoice('fusedMatMul', 'activation', activation, FUSED_MAT_MUL_ACTIVATIONS);
  }
  ensureAmpKernels(tf.getBackend());
  return tf.tidy(() => {
    // The kernels take batched operands, as tfjs's own fused op passes them; tfjs-node's (and
    // ours on it) take matrices as they are, which saves three Reshape ops per call.
    const batched = tf.getBackend() !== 'tensorflow';
    // Elsewhere the weight's cast point is an op before the kernel (its copy is kept for the
    // gradient, as the tape keeps any input).
    const bIn = batched && weightTo != null ? quantize(b, weightTo) : b;
    // The input's cast point: here too where `a` is not rounded yet (on tfjs-node its gradient is
    // passed straight through, as the kernel rounds `a`'s gradient).
    const aIn = inputTo == null ? a : quantize(a, inputTo, batched ? {} : {gradFormat: null});
    const a3 = batched ? tf.reshape(aIn, [1, ...a.shape]) : aIn;
    const b3 = batched ? tf.reshape(bIn, [1, ...b.shape]) : b;
    const inputs: Record<string, Tensor> = {a: a3, b: b3};
    if (bias != null) inputs.bias = bias;
    const attrs = {
      transposeA: false,
      transposeB: false,
      activation,
      leakyreluAlpha: 0.2,
      ...(roundTo == null ? {} : {[ROUND_OUTPUT_ATTR]: roundTo}),
      ...(batched || weightTo == null ? {} : {[ROUND_WEIGHT_ATTR]: weightTo}),
      ...(batched || inputTo == null ? {} : {[ROUND_INPUT_ATTR]: inputTo}),
    };
    const y = tf
      .engine()
      .runKernel(_FusedMatMul, inputs, attrs as unknown as NamedAttrMap) as tf.Tensor2D;
    return ensureRounded(batched ? tf.reshape(y, [a.shape[0], b.shape[1]]) : y, roundTo);
  });
}

/**
 * The gradient of `_FusedMatMul` when it is run as a kernel (by {@link fusedMatMul}; tfjs's
 * `tf.fused.matMul` differentiates its own closure instead). Each input's gradient is a thunk,
 * so the tape computes only those it needs.
 */
export const fusedMatMulGradConfig: GradConfig = {
  kernelName: _FusedMatMul,
  inputsToSave: ['a', 'b'],
  outputsToSave: [true],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [a, b, y] = saved as [Tensor, Tensor, Tensor];
    const {transposeA, transposeB, activation} = attrs as unknown as {
      transposeA: boolean;
      transposeB: boolean;
      activation?: string;
    };
    const g = dy as Tensor;
    // Once for all three gradients (the engine's backward scope disposes it), so a native kernel
    // casts it once too.
    const act = activation == null || activation === 'linear' ? g : reluBackward(g, y as Tensor);
    // `b` read rounded (tfjs-node, ROUND_WEIGHT_ATTR): round it again for a's gradient, free the
    // copy after that product, and round b's gradient, as a cast point before `b` would.
    const weightTo = (attrs as Record<string, unknown>)[ROUND_WEIGHT_ATTR] as
      | FormatName
      | undefined;
    const inputTo = (attrs as Record<string, unknown>)[ROUND_INPUT_ATTR] as FormatName | undefined;
    if (weightTo != null || inputTo != null) {
      if (transposeA || transposeB) {
        throw new Error(
          'tfjs-amp: roundWeightTo and roundInputTo are for untransposed operands ' +
            '(fusedMatMul passes none)',
        );
      }
      return roundedOperandGrads(act, a, b, weightTo, inputTo);
    }
    const dyAct = () => act;
    const grads: Record<string, () => Tensor> = {
      a: () =>
        transposeA
          ? tf.matMul(b as tf.Tensor3D, dyAct() as tf.Tensor3D, transposeB, true)
          : tf.matMul(dyAct() as tf.Tensor3D, b as tf.Tensor3D, false, !transposeB),
      b: () =>
        transposeB
          ? tf.matMul(dyAct() as tf.Tensor3D, a as tf.Tensor3D, true, transposeA)
          : tf.matMul(a as tf.Tensor3D, dyAct() as tf.Tensor3D, !transposeA, false),
    };
    // A bias is `[n]` (fusedMatMul checks it): its gradient sums over every other axis. The
    // engine asks for it only when the kernel had one.
    grads.bias = () => biasBackward(dyAct());
    return grads;
  },
};

/**
 * {@link fusedMatMulGradConfig}'s gradients, from the activation's gradient `act`, where the
 * kernel read `b` rounded to `weightTo` (`roundWeightTo`) and/or `a` rounded to `inputTo`
 * (`roundInputTo`) on tfjs-node, where the operands are untransposed matrices: the values of a
 * cast point before each (`quantize(b)` in a's product; each gradient rounded), with the rounded
 * copy of `b` alive only during a's product and each rounded gradient made by its product's
 * kernel, which frees its float32 result as soon as the 16-bit copy exists.
 */
function roundedOperandGrads(
  act: Tensor,
  a: Tensor,
  b: Tensor,
  weightTo: FormatName | undefined,
  inputTo: FormatName | undefined,
): Record<string, () => Tensor> {
  const product = (x: Tensor, w: Tensor, tA: boolean, tB: boolean, extra: NamedAttrMap) =>
    tf.engine().runKernel(_FusedMatMul, {a: x, b: w}, {
      transposeA: tA,
      transposeB: tB,
      activation: 'linear',
      leakyreluAlpha: 0.2,
      ...extra,
    } as unknown as NamedAttrMap) as Tensor;
  return {
    // act · round(b)ᵀ, the rounded copy made and freed by the kernel, rounded by it for a's cast
    // point.
    a: () =>
      ensureRounded(
        product(act, b, false, true, {
          ...(weightTo == null ? {} : {[ROUND_WEIGHT_ATTR]: weightTo}),
          ...(inputTo == null ? {} : {[ROUND_OUTPUT_ATTR]: inputTo}),
        }),
        inputTo,
      ),
    // round(aᵀ · act): the cast point's gradient, rounded by the kernel.
    b: () =>
      ensureRounded(
        product(a, act, true, false, weightTo == null ? {} : {[ROUND_OUTPUT_ATTR]: weightTo}),
        weightTo,
      ),
    bias: () => biasBackward(act),
  };
}
