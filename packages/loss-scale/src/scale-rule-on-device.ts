import * as tf from '@tensorflow/tfjs';
import type {Scalar, Tensor, Tensor1D} from '@tensorflow/tfjs';
import type {ScaleRuleOptions} from './scale-rule.js';

/**
 * Positions in the int32 counter vector of {@link DeviceScaleState}: the scale rule's counters
 * and the optimizer's, so that one read returns them all.
 */
export const COUNTER_INDEX = Object.freeze({
  goodSteps: 0,
  hysteresisLeft: 1,
  overflowCount: 2,
  skippedSteps: 3,
  lastStepSkipped: 4,
  appliedSteps: 5,
});

/** How many counters {@link DeviceScaleState.counters} holds. */
export const COUNTER_COUNT = 6;

/** The loss-scale state as tensors: what `'device'` mode keeps instead of JS numbers. */
export interface DeviceScaleState {
  /** The scale, a float32 scalar. */
  readonly lossScale: Scalar;
  /** int32 `[goodSteps, hysteresisLeft, overflowCount, skippedSteps, lastStepSkipped, appliedSteps]`. */
  readonly counters: Tensor1D;
}

/**
 * {@link nextScale} on tensors, for a step whose overflow decision is a bool scalar on the device
 * (`finite`): the same rule, selected with `tf.where` instead of branches, so nothing is read
 * back. Also moves the optimizer's counters: `overflowCount` (0 after an applied step),
 * `skippedSteps`, `lastStepSkipped` (0/1) and `appliedSteps`.
 *
 * The products `scale × growthFactor` / `scale × backoffFactor` are float32 multiplications; with
 * factors that are float32 values (the options refuse others in `'device'` mode) they equal
 * {@link nextScale}'s double products rounded to float32, since the exact product of two float32
 * values fits in a double. Counters are int32 (exact up to 2^24 on webgl, which stores them as
 * float32). Call inside `tf.tidy`; the returned tensors are new.
 */
export function nextScaleOnDevice(
  state: DeviceScaleState,
  finite: Scalar,
  options: ScaleRuleOptions,
): DeviceScaleState {
  const int = (v: number) => tf.scalar(v, 'int32');
  const [good, hyst, overflows, skipped, , applied] = tf.unstack(state.counters) as Scalar[];
  const scale = state.lossScale;
  const overflowed = tf.logicalNot(finite);
  const overflowedI = tf.cast(overflowed, 'int32');
  const finiteI = tf.cast(finite, 'int32');
  const zero = int(0);
  const one = int(1);
  const good1 = tf.add(good!, one);
  let nextScaleT: Tensor = scale;
  let nextGood: Tensor;
  let nextHyst: Tensor = hyst!;
  if (!options.dynamic) {
    nextGood = tf.where(overflowed, zero, good1);
  } else {
    const grow = tf.logicalAnd(finite, tf.greaterEqual(good1, int(options.growthInterval)));
    const grown = tf.mul(scale, tf.scalar(options.growthFactor));
    const grownKept = tf.where(tf.isFinite(grown), tf.minimum(grown, options.maxScale), scale);
    const backOff = tf.logicalAnd(overflowed, tf.lessEqual(hyst!, one));
    const backedOff = tf.maximum(tf.mul(scale, tf.scalar(options.backoffFactor)), options.minScale);
    nextScaleT = tf.where(grow, grownKept, tf.where(backOff, backedOff, scale));
    nextGood = tf.where(tf.logicalOr(overflowed, grow), zero, good1);
    const tolerated = tf.logicalAnd(overflowed, tf.greater(hyst!, one));
    nextHyst = tf.where(
      grow,
      int(options.hysteresis),
      tf.where(tolerated, tf.sub(hyst!, one), hyst!),
    );
  }
  const counters = tf.stack([
    nextGood,
    nextHyst,
    tf.where(overflowed, tf.add(overflows!, one), zero),
    tf.add(skipped!, overflowedI),
    overflowedI,
    tf.add(applied!, finiteI),
  ]) as Tensor1D;
  // A new tensor even when the scale did not change, so the caller owns what it gets.
  return {lossScale: tf.clone(nextScaleT) as Scalar, counters};
}
