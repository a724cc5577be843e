import * as tf from '@tensorflow/tfjs';
import type {Scalar, Tensor, Variable} from '@tensorflow/tfjs';
import {AMP_SELECT_BY_FLAG, selectByFlag} from './kernels/select-by-flag.js';

/** A new tensor on `t`'s data: no copy on cpu and wasm (whose Identity copies) nor on GPUs. */
function shareData(t: Tensor): Tensor {
  if (tf.getKernel(AMP_SELECT_BY_FLAG, tf.getBackend()) == null) return tf.clone(t);
  const flag = tf.scalar(true, 'bool') as Scalar;
  const shared = selectByFlag(flag, t, t);
  flag.dispose();
  return shared;
}

/**
 * Runs `apply` (an optimizer's `applyGradients`), then keeps what it wrote only where `finite`
 * (a bool scalar on the device) is true: every `tf.Variable` that `apply` assigned (the model's
 * variables, the optimizer's slots, Adam's beta powers, Adamax's step count, slots it created on
 * the way) is set to `finite ? new : old` ({@link selectByFlag}: on cpu and wasm the chosen
 * buffer itself, on GPU backends `tf.where`). No value is read back, so the skip of an
 * overflowing step stays on the device, as Keras 3 does with `ops.cond`; a skipped step leaves
 * every assigned variable bit-identical (a select copies bits, NaN included).
 *
 * How: while `apply` runs (synchronously), `tf.Variable.prototype.assign` records each
 * variable's value before its first assignment (a second reference to its data: no copy).
 * Works for every optimizer that updates state through `Variable.assign`, as all of tfjs's do;
 * state kept elsewhere (JS numbers such as `iterations`, TensorFlow resource variables of fused
 * optimizers) is the caller's business. Slots created during a skipped step stay, holding their
 * initial values, which is what the optimizer would create at its next step anyway.
 * @throws what `apply` throws, after restoring every variable it had assigned.
 */
export function applyWhereFinite(apply: () => void, finite: Scalar): void {
  const before = new Map<Variable, Tensor>();
  const proto = tf.Variable.prototype;
  const assign = proto.assign;
  proto.assign = function recordingAssign(this: Variable, value: Tensor): void {
    if (!before.has(this)) before.set(this, tf.keep(shareData(this)));
    assign.call(this, value);
  };
  let failed = false;
  try {
    apply();
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    proto.assign = assign;
    tf.tidy(() => {
      const conditions = new Map<string, Tensor>();
      for (const [variable, old] of before) {
        assign.call(
          variable,
          failed ? old : selectByFlag(finite, variable as Tensor, old, conditions),
        );
      }
    });
    tf.dispose([...before.values()]);
  }
}
