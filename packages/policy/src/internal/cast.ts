import * as tf from '@tensorflow/tfjs';
import {type FormatName, quantize} from '@tfjs-amp/kernels';

/**
 * Buffers known to hold only values of a format: outputs of our casts (forward and backward) and
 * variables kept in a low format. Keyed by `dataId`, which a backend never reuses and whose data
 * never changes, so a reshape or clone sharing the buffer is known too.
 */
const roundedData = new WeakMap<object, FormatName>();

/** Records that `t`'s buffer holds only values representable in `format`. */
export function markRounded(t: tf.Tensor, format: FormatName): void {
  roundedData.set(t.dataId as object, format);
}

/** Whether `t`'s buffer is known to hold only values representable in `format`. */
export function isMarkedRounded(t: tf.Tensor, format: FormatName): boolean {
  return roundedData.get(t.dataId as object) === format;
}

/**
 * `x` rounded to `format`, as a new tensor. Rounding a known-rounded buffer again would give the
 * same bits (rounding is idempotent), so that case costs a clone instead: a new tensor on the
 * same buffer on every backend (tfjs-node's Reshape would run a TF op, its Identity runs none).
 */
function roundOnce(x: tf.Tensor, format: FormatName): tf.Tensor {
  if (isMarkedRounded(x, format)) return tf.clone(x);
  const rounded = quantize(x, format, {gradFormat: null});
  markRounded(rounded, format);
  return rounded;
}

/** The parts of tfjs's engine state that {@link isSpentGradient} reads (tfjs-core 4.x). */
interface EngineScopes {
  activeScope: {id: number} | null;
}

/**
 * Whether `dy`, the gradient a cast point's gradient function receives, can be freed once it is
 * rounded. tfjs keeps every gradient it computes until the whole backward pass ends, so a rounded
 * copy would otherwise sit beside the float32 one (1.5× its bytes where float32 training holds
 * 1×). Only the cast's own node ever reads the gradient of the cast's output, so it is spent
 * once read, if:
 * - tfjs computed it in this backward pass: it belongs to the scope the gradient functions run
 *   in (the engine's `backward` scope), so it is not a `dy` the caller passed in, nor a forward
 *   tensor a gradient function handed on as it is;
 * - nothing keeps it (`tf.keep`).
 * Where an outer tape records this backward pass (second derivatives), the only node on it that
 * reads the gradient is this rounding, whose own gradient does not read its input; tensors other
 * nodes save for that tape are their own references to the data.
 */
function isSpentGradient(dy: tf.Tensor): boolean {
  const state = (tf.engine() as unknown as {state: EngineScopes}).state;
  const scope = state.activeScope;
  const tracked = dy as unknown as {scopeId?: number; kept: boolean};
  return scope != null && tracked.scopeId === scope.id && !tracked.kept;
}

const casts = new Map<FormatName, (x: tf.Tensor) => tf.Tensor>();

/**
 * A cast point: forward, `x` rounded to `format`; backward, the incoming gradient rounded to
 * `format` (what `quantize(x, format)` does), skipping the work whenever the buffer is already
 * known to be rounded. On a chain of layers the gradient leaving one layer's input cast arrives
 * unchanged at the previous layer's output cast; it is rounded once, not twice. Where a tensor
 * feeds several layers, tfjs sums their gradients into a new buffer, which is rounded again, as
 * half-precision hardware rounds the sum. The float32 gradient is freed once rounded where no one
 * else can read it ({@link isSpentGradient}), so the step holds its 16-bit rounding alone.
 */
export function castTo(x: tf.Tensor, format: FormatName): tf.Tensor {
  let cast = casts.get(format);
  if (cast == null) {
    const forward = (input: tf.Tensor) => ({
      value: roundOnce(input, format),
      gradFunc: (dy: tf.Tensor) => {
        const rounded = roundOnce(dy, format);
        if (isSpentGradient(dy)) dy.dispose();
        return rounded;
      },
    });
    cast = tf.customGrad(forward as Parameters<typeof tf.customGrad>[0]) as (
      x: tf.Tensor,
    ) => tf.Tensor;
    casts.set(format, cast);
  }
  return cast(x);
}
