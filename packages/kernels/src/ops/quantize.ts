import * as tf from '@tensorflow/tfjs';
import type {NamedAttrMap, Tensor} from '@tensorflow/tfjs';
import type {FormatName} from '../formats/format-spec.js';
import {resolveFormat} from '../formats/index.js';
import {describeValue, wrongType} from '../internal/errors.js';
import {AmpQuantize, type AmpQuantizeAttrs} from '../kernel-names.js';
import {ensureAmpKernels} from '../kernels/register-kernels.js';
import {type RoundingOptions, saturateOption} from '../rounding/round-array.js';

/** Options of {@link quantize}. */
export interface QuantizeOptions extends RoundingOptions {
  /**
   * Format the incoming gradient is rounded to on the way back (straight-through estimator).
   * Default: the forward format, as on half-precision hardware, where the gradient of a
   * float16 activation is itself a float16 tensor. `null` leaves the gradient float32 (a pure
   * straight-through estimator, like `x + stop_gradient(round(x) - x)`). Never saturated, so
   * a gradient overflow shows up as Inf/NaN where loss scaling can see it.
   */
  gradFormat?: FormatName | null;
}

/**
 * Rounds a float32 tensor to the values representable in `format` and returns a float32 tensor
 * of the same shape: round-to-nearest-even, subnormals kept, signed zero kept, NaN stays NaN,
 * overflow to ±Inf (formats with Inf) or NaN (float8_e4m3fn, as the OCP FP8 spec says), or to
 * ±maxFinite with `options.saturate`. `float32` is the identity.
 *
 * Runs the `AmpQuantize` kernel of the active backend: typed-array code on cpu, a WebAssembly
 * SIMD function on the wasm heap on wasm, a bit-exact composition of tfjs ops elsewhere. No
 * device sync. The gradient is straight-through: dy passes unchanged except for being rounded
 * to `options.gradFormat` (default: `format`), so a tiny gradient (1e-9) flushes to 0 in float16.
 * Keras 3 and PyTorch have no such op: they cast to a real float16 dtype, which this emulates.
 * @throws TypeError when `x` is not a float32 tensor, `format`/`gradFormat` is unknown, or an
 *   option has the wrong type.
 * @example
 * quantize(tf.tensor([1e-9, 65520, 0.1]), 'float16') // [0, Infinity, 0.0999755859375]
 */
export function quantize<T extends Tensor>(x: T, format: FormatName, options?: QuantizeOptions): T {
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
  const spec = resolveFormat(format, 'quantize');
  if (options != null && typeof options !== 'object') {
    throw wrongType('quantize', 'options', 'an object', describeValue(options));
  }
  const saturate = saturateOption('quantize', options);
  const gradFormat =
    options?.gradFormat === null
      ? 'float32'
      : resolveFormat(options?.gradFormat ?? spec.name, 'quantize', 'options.gradFormat').name;
  ensureAmpKernels(tf.getBackend());
  const attrs: AmpQuantizeAttrs = {format: spec.name, saturate, gradFormat};
  return tf.engine().runKernel(AmpQuantize, {x}, attrs as unknown as NamedAttrMap) as T;
}
