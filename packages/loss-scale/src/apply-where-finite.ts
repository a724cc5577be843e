import * as tf from '@tensorflow/tfjs';
import type {Scalar, Tensor, Variable} from '@tensorflow/tfjs';

/**
 * Runs `apply` (an optimizer's `applyGradients`), then keeps what it wrote only where `finite`
 * (a bool scalar on the device) is true: every `tf.Variable` that `apply` assigned (the model's
 * variables, the optimizer's slots, Adam's beta powers, Adamax's step count, slots it created on
 * the way) is set to `where(finite, new, old)`. No value is read back, so the skip of an
 * overflowing step stays on the device, as Keras 3 does with `ops.cond`; a skipped step leaves
 * every assigned variable bit-identical (a select copies bits, NaN included).
 *
 * How: while `apply` runs (synchronously), `tf.Variable.prototype.assign` records each
 * variable's value before its first assignment (`tf.clone`, which shares the data: no copy).
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
    if (!before.has(this)) before.set(this, tf.keep(tf.clone(this)));
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
      // The condition in each variable's shape: tf.where would broadcast a scalar with Tile,
      // which the cpu backend runs by reading its input (bufferSync).
      const conditions = new Map<string, Tensor>();
      const conditionFor = (shape: number[]) => {
        const key = shape.join(',');
        let c = conditions.get(key);
        if (c == null) {
          c = shape.length === 0 ? finite : tf.logicalAnd(tf.ones(shape, 'bool'), finite);
          conditions.set(key, c);
        }
        return c;
      };
      for (const [variable, old] of before) {
        assign.call(variable, failed ? old : tf.where(conditionFor(variable.shape), variable, old));
      }
    });
    tf.dispose([...before.values()]);
  }
}
