import * as tf from '@tensorflow/tfjs';
import type {KernelConfig, KernelFunc, Tensor, TensorInfo} from '@tensorflow/tfjs';
import type {FormatSpec} from '../../formats/format-spec.js';
import {AmpQuantize} from '../../kernel-names.js';
import {quantizeKernelInput} from '../shared/kernel-input.js';
import type {RoundingPlan} from '../../rounding/round-bits.js';
import {stochasticRoundFloat32, stochasticSeed} from '../shared/stochastic-round.js';

/**
 * Rounds with elementwise tfjs ops only, so it runs on any backend (webgl, webgpu, tensorflow,
 * custom ones). Every op is exact except one deliberate rounding, so the result is bit-exact
 * wherever the backend's float32 arithmetic is IEEE with subnormals (cpu, wasm, tfjs-node):
 *
 * 1. p = 2^e, e = floor(log2 |x|) clamped to [1 − bias, maxExponent]: a binary search that only
 *    multiplies by powers of two and compares (no log or pow, whose rounding varies);
 * 2. q = p × 2^−mantissaBits, the spacing of the format's values around |x|;
 * 3. n = RNE(|x| / q) as (|x|/q + 2^23) − 2^23: |x|/q < 2^11, so the float32 addition rounds it
 *    to an integer with ties to even, and the subtraction is exact;
 * 4. n × q, then overflow (|x| ≥ the overflow threshold, ±Inf included), sign (−0 included)
 *    and NaN (passed through as the backend's `where` passes it).
 *
 * GPU backends that flush float32 subnormals (or compute in float16) flush here too, and NaN
 * payloads are not normalized as on cpu/wasm: NaN-ness and, on IEEE backends, sign are kept.
 *
 * Stochastic rounding (`attrs.rounding`) reads the values back (a device sync) and runs the
 * shared JavaScript core, bit-identical to cpu and wasm for the same seed.
 */
export const ampQuantize: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as {x: TensorInfo};
  const {spec, plan} = quantizeKernelInput(x, attrs);
  if (plan.identity) return tf.clone(x as Tensor);
  const seed = stochasticSeed(attrs);
  if (seed != null) {
    // Stochastic: the shared JavaScript core on the values read back (one device sync), so a seed
    // gives the same bits as on cpu and wasm.
    const src = (backend as tf.KernelBackend).readSync(x.dataId) as Float32Array;
    const out = new Float32Array(src.length);
    stochasticRoundFloat32(src, out, spec, plan, seed);
    return tf.tensor(out, x.shape, 'float32');
  }
  return tf.tidy(() => roundWithOps(x as Tensor, spec, plan));
};

function f32FromBits(bits: number): number {
  return new Float32Array(new Int32Array([bits]).buffer)[0]!;
}

function roundWithOps(x: Tensor, spec: FormatSpec, plan: RoundingPlan): Tensor {
  const minExponent = 1 - spec.bias;
  const maxExponent = Math.floor(Math.log2(spec.maxFinite));
  const magnitude = tf.abs(x);

  // Largest p = 2^e ≤ |x| with e ≥ minExponent, by binary lifting over exponent steps
  // 2^k, …, 4, 2, 1 (each a float32 constant, so at most 64, repeated while the steps cannot yet
  // reach maxExponent). It may step past maxExponent only for |x| ≥ 2^(maxExponent+1), which
  // overflows below anyway.
  let p: Tensor = tf.fill(x.shape, 2 ** minExponent);
  for (const step of exponentSteps(maxExponent - minExponent)) {
    const candidate = tf.mul(p, 2 ** step);
    p = tf.where(tf.greaterEqual(magnitude, candidate), candidate, p);
  }
  const quantum = tf.mul(p, 2 ** -spec.mantissaBits);
  const scaled = tf.div(magnitude, quantum);
  const integer = tf.sub(tf.add(scaled, 2 ** 23), 2 ** 23);
  const rounded = tf.mul(integer, quantum);

  const overflows = tf.greaterEqual(magnitude, f32FromBits(plan.hi));
  const limited = tf.where(overflows, tf.fill(x.shape, f32FromBits(plan.overflow)), rounded);
  // Sign: x < 0, or 1/x < 0 for −0 (1/−0 = −Inf).
  const negative = tf.logicalOr(tf.less(x, 0), tf.less(tf.div(1, x), 0));
  const signed = tf.where(negative, tf.neg(limited), limited);
  return tf.where(tf.isNaN(x), x, signed);
}

/** Steps whose greedy sums reach every offset in [0, range]: [64, …, 64,] 2^k, …, 2, 1. */
function exponentSteps(range: number): number[] {
  const top = Math.min(64, 2 ** Math.floor(Math.log2(range)));
  const steps: number[] = [];
  for (let step = top; step >= 1; step /= 2) steps.push(step);
  for (let covered = 2 * top - 1; covered < range; covered += 64) steps.unshift(64);
  return steps;
}

/** The generic kernel's config for a given backend (it has no backend of its own). */
export function ampQuantizeConfigFor(backendName: string): KernelConfig {
  return {kernelName: AmpQuantize, backendName, kernelFunc: ampQuantize};
}
