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

const casts = new Map<FormatName, (x: tf.Tensor) => tf.Tensor>();

/**
 * A cast point: forward, `x` rounded to `format`; backward, the incoming gradient rounded to
 * `format` (what `quantize(x, format)` does), skipping the work whenever the buffer is already
 * known to be rounded. On a chain of layers the gradient leaving one layer's input cast arrives
 * unchanged at the previous layer's output cast; it is rounded once, not twice. Where a tensor
 * feeds several layers, tfjs sums their gradients into a new buffer, which is rounded again, as
 * half-precision hardware rounds the sum.
 */
export function castTo(x: tf.Tensor, format: FormatName): tf.Tensor {
  let cast = casts.get(format);
  if (cast == null) {
    const forward = (input: tf.Tensor) => ({
      value: roundOnce(input, format),
      gradFunc: (dy: tf.Tensor) => roundOnce(dy, format),
    });
    cast = tf.customGrad(forward as Parameters<typeof tf.customGrad>[0]) as (
      x: tf.Tensor,
    ) => tf.Tensor;
    casts.set(format, cast);
  }
  return cast(x);
}
