import * as tf from '@tensorflow/tfjs';
import type {NamedAttrMap, Tensor} from '@tensorflow/tfjs';
import {getFormat} from '../formats/index.js';
import type {FormatName} from '../formats/format-spec.js';
import {describeValue, wrongType} from '../internal/errors.js';
import {AmpQuantize, type AmpQuantizeAttrs} from '../kernel-names.js';
import {ensureAmpKernels} from '../kernels/register-kernels.js';
import type {RoundingOptions} from '../rounding/round-array.js';

/** Options of {@link quantize}. */
export interface QuantizeOptions extends RoundingOptions {
  /**
   * Format the incoming gradient is rounded to on the way back (straight-through estimator).
   * Default: the same format as the forward pass, which is what half-precision hardware does to
   * activation gradients. `null` leaves the gradient float32 (a pure straight-through estimator).
   */
  gradFormat?: FormatName | null;
}

/**
 * Rounds a float32 tensor to the values representable in `format` and returns a float32
 * tensor: round-to-nearest-even, subnormals kept, signed zero kept, NaN stays NaN, overflow to
 * ±Inf (formats with Inf) or NaN (float8_e4m3fn), or to ±maxFinite with `saturate`.
 *
 * Runs the `AmpQuantize` kernel of the active backend (typed-array code on cpu and wasm, a
 * bit-exact composition of tfjs ops elsewhere, native kernels where a package registers them).
 * The gradient is straight-through, rounded to `options.gradFormat`.
 * @throws TypeError when `x` is not a float32 tensor, `format` is unknown, or an option has the wrong type.
 * @example
 * quantize(tf.tensor([1e-9, 65520, 0.1]), 'float16') // [0, Infinity, 0.0999755859375]
 */
export function quantize<T extends Tensor>(
  x: T,
  format: FormatName,
  options: QuantizeOptions = {},
): T {
  if (!(x instanceof tf.Tensor)) {
    throw wrongType(
      'quantize',
      'x',
      'a float32 tf.Tensor',
      describeValue(x),
      'Wrap it first: tf.tensor(values).',
    );
  }
  if (x.dtype !== 'float32') {
    throw wrongType(
      'quantize',
      'x',
      'a float32 tensor',
      x.dtype,
      "Cast it first: tf.cast(x, 'float32').",
    );
  }
  const spec = getFormat(format, 'quantize');
  const saturate = options.saturate ?? false;
  if (typeof saturate !== 'boolean') {
    throw wrongType('quantize', 'options.saturate', 'a boolean', describeValue(saturate));
  }
  const gradFormat =
    options.gradFormat === null
      ? 'float32'
      : getFormat(options.gradFormat ?? spec.name, 'quantize').name;
  ensureAmpKernels(tf.getBackend());
  const attrs: AmpQuantizeAttrs = {format: spec.name, saturate, gradFormat};
  return tf.engine().runKernel(AmpQuantize, {x}, attrs as unknown as NamedAttrMap) as T;
}
