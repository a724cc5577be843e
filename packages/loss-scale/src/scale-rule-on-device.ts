import * as tf from '@tensorflow/tfjs';
import type {Scalar, Tensor} from '@tensorflow/tfjs';
import type {ScaleRuleOptions} from './scale-rule.js';

/** The names of the int32 counters of {@link DeviceScaleState}, in the order reads stack them. */
export const COUNTER_NAMES = Object.freeze([
  'goodSteps',
  'hysteresisLeft',
  'overflowCount',
  'skippedSteps',
  'lastStepSkipped',
  'appliedSteps',
] as const);

/** One of {@link COUNTER_NAMES}. */
export type CounterName = (typeof COUNTER_NAMES)[number];

/**
 * The loss-scale state as tensors: what `'device'` mode keeps instead of JS numbers. Separate
 * scalars (not one vector): slicing a vector reads it back on the wasm backend.
 */
export interface DeviceScaleState extends Readonly<Record<CounterName, Scalar>> {
  /** The scale, a float32 scalar. */
  readonly lossScale: Scalar;
}

/** The option values {@link nextScaleOnDevice} uses, as scalars on the device. */
export interface ScaleRuleConstants {
  readonly zero: Scalar;
  readonly one: Scalar;
  readonly growthInterval: Scalar;
  readonly hysteresis: Scalar;
  readonly growthFactor: Scalar;
  readonly backoffFactor: Scalar;
  readonly minScale: Scalar;
  readonly maxScale: Scalar;
}

/**
 * The constants of {@link nextScaleOnDevice} for `options`, as new tensors: keep them across steps
 * (`tf.keep`) to save their uploads each step, and dispose them with the optimizer.
 */
export function scaleRuleConstants(options: ScaleRuleOptions): ScaleRuleConstants {
  const int = (v: number) => tf.scalar(v, 'int32');
  return {
    zero: int(0),
    one: int(1),
    growthInterval: int(options.growthInterval),
    hysteresis: int(options.hysteresis),
    growthFactor: tf.scalar(options.growthFactor),
    backoffFactor: tf.scalar(options.backoffFactor),
    minScale: tf.scalar(options.minScale),
    maxScale: tf.scalar(options.maxScale),
  };
}

/**
 * {@link nextScale} on tensors, for a step whose overflow decision is a bool scalar on the device
 * (`finite`): the same rule, selected with `tf.where` instead of branches, so nothing is read
 * back (no slicing, no scalar reads). Also moves the optimizer's counters: `overflowCount` (0 after an applied step),
 * `skippedSteps`, `lastStepSkipped` (0/1) and `appliedSteps`.
 *
 * The products `scale × growthFactor` / `scale × backoffFactor` are float32 multiplications; with
 * factors that are float32 values (the options refuse others in `'device'` mode) they equal
 * {@link nextScale}'s double products rounded to float32, since the exact product of two float32
 * values fits in a double. Counters are int32 (exact up to 2^24 on webgl, which stores them as
 * float32). `constants` (default: made for this call) are the options as tensors, from
 * {@link scaleRuleConstants}. Call inside `tf.tidy`; the returned tensors are new.
 */
export function nextScaleOnDevice(
  state: DeviceScaleState,
  finite: Scalar,
  options: ScaleRuleOptions,
  constants?: ScaleRuleConstants,
): DeviceScaleState {
  const c = constants ?? scaleRuleConstants(options);
  const good = state.goodSteps;
  const hyst = state.hysteresisLeft;
  const scale = state.lossScale;
  const overflowed = tf.logicalNot(finite);
  const overflowedI = tf.cast(overflowed, 'int32');
  const finiteI = tf.cast(finite, 'int32');
  const {zero, one} = c;
  const good1 = tf.add(good, one);
  let nextScaleT: Tensor = scale;
  let nextGood: Tensor;
  let nextHyst: Tensor = hyst;
  if (!options.dynamic) {
    nextGood = tf.where(overflowed, zero, good1);
  } else {
    const grow = tf.logicalAnd(finite, tf.greaterEqual(good1, c.growthInterval));
    const grown = tf.mul(scale, c.growthFactor);
    const grownKept = tf.where(tf.isFinite(grown), tf.minimum(grown, c.maxScale), scale);
    const backOff = tf.logicalAnd(overflowed, tf.lessEqual(hyst, one));
    const backedOff = tf.maximum(tf.mul(scale, c.backoffFactor), c.minScale);
    nextScaleT = tf.where(grow, grownKept, tf.where(backOff, backedOff, scale));
    nextGood = tf.where(tf.logicalOr(overflowed, grow), zero, good1);
    const tolerated = tf.logicalAnd(overflowed, tf.greater(hyst, one));
    nextHyst = tf.where(grow, c.hysteresis, tf.where(tolerated, tf.sub(hyst, one), hyst));
  }
  // New tensors even where nothing changed, so the caller owns all it gets.
  return {
    lossScale: tf.clone(nextScaleT) as Scalar,
    goodSteps: nextGood as Scalar,
    hysteresisLeft: tf.clone(nextHyst) as Scalar,
    overflowCount: tf.where(overflowed, tf.add(state.overflowCount, one), zero) as Scalar,
    skippedSteps: tf.add(state.skippedSteps, overflowedI) as Scalar,
    lastStepSkipped: overflowedI as Scalar,
    appliedSteps: tf.add(state.appliedSteps, finiteI) as Scalar,
  };
}
