import * as tf from '@tensorflow/tfjs';
import type {KernelConfig, KernelFunc, Tensor, TensorInfo} from '@tensorflow/tfjs';
import type {FormatSpec} from '../../formats/format-spec.js';
import {getFormat} from '../../formats/index.js';
import {AmpQuantize, type AmpQuantizeAttrs} from '../../kernel-names.js';

/**
 * Rounds with elementwise tfjs ops only, so it runs on any backend (webgl, webgpu, tensorflow,
 * custom ones). Bit-exact wherever the backend's float32 arithmetic is IEEE (cpu, wasm, tfjs-node
 * CPU); GPU backends that flush float32 subnormals flush them here too. NaN comes out as the
 * backend's canonical NaN (payload not kept).
 *
 * value = RNE(|x| / q) × q with q = 2^(max(floor(log2|x|), emin) − mantissaBits): the division and
 * product are exact (q is a power of two), so the only rounding is the half-to-even step.
 */
export const ampQuantize: KernelFunc = ({inputs, attrs}) => {
  const {x} = inputs as {x: TensorInfo};
  const {format, saturate} = attrs as unknown as AmpQuantizeAttrs;
  const spec = getFormat(format);
  if (spec.mantissaBits === 23) return tf.clone(x as Tensor);
  return tf.tidy(() => roundWithOps(x as Tensor, spec, saturate));
};

function roundHalfToEven(y: Tensor): Tensor {
  // floor(y + 0.5) is exact here: y < 2^(mantissaBits + 1) ≤ 2^24 with at most 24 significant bits.
  const up = tf.floor(tf.add(y, 0.5));
  const isTie = tf.equal(tf.sub(up, y), 0.5);
  const isOdd = tf.equal(tf.mod(up, 2), 1);
  return tf.where(tf.logicalAnd(isTie, isOdd), tf.sub(up, 1), up);
}

function roundWithOps(x: Tensor, spec: FormatSpec, saturate: boolean): Tensor {
  const minExponent = 1 - spec.bias;
  const magnitude = tf.abs(x);
  // log2 estimate, then one step of correction each way (log may be off by an ulp at powers of 2).
  let exponent = tf.maximum(tf.floor(tf.mul(tf.log(magnitude), Math.LOG2E)), minExponent);
  exponent = tf.where(
    tf.logicalAnd(tf.less(magnitude, tf.pow(2, exponent)), tf.greater(exponent, minExponent)),
    tf.sub(exponent, 1),
    exponent,
  );
  exponent = tf.where(
    tf.greaterEqual(magnitude, tf.pow(2, tf.add(exponent, 1))),
    tf.add(exponent, 1),
    exponent,
  );
  const quantum = tf.pow(2, tf.sub(exponent, spec.mantissaBits));
  const rounded = tf.mul(roundHalfToEven(tf.div(magnitude, quantum)), quantum);

  const overflowValue = saturate
    ? spec.maxFinite
    : spec.hasInf
      ? Number.POSITIVE_INFINITY
      : Number.NaN;
  const isInf = tf.equal(magnitude, Number.POSITIVE_INFINITY);
  let result = tf.where(
    tf.logicalOr(isInf, tf.greater(rounded, spec.maxFinite)),
    tf.fill(x.shape, overflowValue),
    rounded,
  );
  // Sign: 1/x < 0 also catches -0; -Inf is caught by x < 0.
  const negative = tf.logicalOr(tf.less(x, 0), tf.less(tf.div(1, x), 0));
  result = tf.where(negative, tf.neg(result), result);
  return tf.where(tf.isNaN(x), x, result);
}

/** The generic kernel's config for a given backend (it has no backend of its own). */
export function ampQuantizeConfigFor(backendName: string): KernelConfig {
  return {kernelName: AmpQuantize, backendName, kernelFunc: ampQuantize};
}
