import * as tf from '@tensorflow/tfjs';
import type {NamedAttrMap, Tensor} from '@tensorflow/tfjs';
import type {FormatName} from '../formats/format-spec.js';
import {resolveFormat} from '../formats/index.js';
import {describeValue, invalidChoice, outOfRange, wrongType} from '../internal/errors.js';
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
  /**
   * How a value between two neighbours of the format is rounded. Default `'nearest'`
   * (round-to-nearest-even, what hardware casts do). `'stochastic'` rounds up with probability
   * equal to the distance from the lower neighbour over their spacing, so the expected result
   * is x itself: small updates survive on average instead of vanishing (as in bfloat16 training
   * with stochastic rounding). It needs `seed`. The gradient is still rounded to nearest.
   */
  rounding?: 'nearest' | 'stochastic';
  /**
   * Seed of `'stochastic'` rounding: an integer in [0, 2^53). The same seed, values and shape
   * give the same bits on every backend (element i's draw depends only on seed and i); use a new
   * seed for each call whose draws should be independent (e.g. `base + step`). Ignored for
   * `'nearest'`.
   */
  seed?: number;
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
 *
 * With `options.rounding: 'stochastic'` a value goes to one of its two neighbours at random,
 * unbiased and reproducible from `options.seed`; zeros, ±Inf, NaN, representable values and
 * overflow behave as in nearest mode. It reads the values into JavaScript on every backend but
 * cpu and wasm (a device sync) and is not SIMD-accelerated.
 * @throws TypeError when `x` is not a float32 tensor, `format`/`gradFormat`/`rounding` is
 *   unknown, or an option has the wrong type. RangeError when `seed` is missing for stochastic
 *   rounding or not an integer in [0, 2^53).
 * @example
 * quantize(tf.tensor([1e-9, 65520, 0.1]), 'float16') // [0, Infinity, 0.0999755859375]
 * quantize(tf.fill([4], 1 + 2 ** -9), 'bfloat16', {rounding: 'stochastic', seed: 7})
 * // each 1 or 1.0078125; 1 + 2^-9 on average
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
  const rounding = options?.rounding ?? 'nearest';
  if (rounding !== 'nearest' && rounding !== 'stochastic') {
    throw invalidChoice('quantize', 'options.rounding', rounding, ['nearest', 'stochastic']);
  }
  ensureAmpKernels(tf.getBackend());
  const attrs: AmpQuantizeAttrs = {format: spec.name, saturate, gradFormat};
  if (rounding === 'stochastic') {
    const seed = options?.seed;
    if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
      throw outOfRange(
        'quantize',
        "options.seed (needed by rounding: 'stochastic')",
        'an integer in [0, 2^53)',
        seed,
      );
    }
    attrs.rounding = rounding;
    attrs.seed = seed;
  }
  return tf.engine().runKernel(AmpQuantize, {x}, attrs as unknown as NamedAttrMap) as T;
}
