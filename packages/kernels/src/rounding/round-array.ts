import {getFormat} from '../formats/index.js';
import type {FormatName, FormatSpec} from '../formats/format-spec.js';
import {wrongType} from '../internal/errors.js';
import {bitRounder} from '../kernels/shared/round-bits.js';
import {bitsOf} from '../kernels/shared/typed-views.js';

/** Options shared by {@link roundArray}, {@link encode} and `quantize`. */
export interface RoundingOptions {
  /**
   * Clamp overflow to ±maxFinite instead of ±Inf (or NaN for formats without Inf), and map ±Inf
   * inputs to ±maxFinite. NaN stays NaN. Default `false`, as in ml_dtypes and the OCP FP8 spec's
   * non-saturating mode; saturating is the usual choice for FP8 activations.
   */
  saturate?: boolean;
}

/** Throws unless `value` is a Float32Array; `name` is the argument's name in the message. */
export function assertFloat32Array(
  where: string,
  name: string,
  value: unknown,
): asserts value is Float32Array {
  if (!(value instanceof Float32Array)) {
    const actual =
      ArrayBuffer.isView(value) || Array.isArray(value)
        ? (value as object).constructor.name
        : typeof value;
    throw wrongType(
      where,
      name,
      'a Float32Array',
      actual,
      'Convert it first: Float32Array.from(values).',
    );
  }
}

/**
 * Rounds every float32 in `src` to the nearest value representable in `format`
 * (round-to-nearest-even, subnormals kept, signed zero kept), writing float32 results to `dst`.
 * `dst` may be `src` itself (in place); by default a new array is returned.
 * @throws TypeError when `src`/`dst` is not a Float32Array or `format` is unknown.
 * @throws RangeError when `dst` has a different length.
 * @example roundArray(new Float32Array([1 + 2 ** -11]), 'float16') // Float32Array [1] (tie to even)
 */
export function roundArray(
  src: Float32Array,
  format: FormatName | FormatSpec,
  dst?: Float32Array,
  options: RoundingOptions = {},
): Float32Array {
  assertFloat32Array('roundArray', 'src', src);
  const spec = getFormat(format, 'roundArray');
  const out = dst ?? new Float32Array(src.length);
  assertFloat32Array('roundArray', 'dst', out);
  if (out.length !== src.length) {
    throw new RangeError(
      `roundArray: dst must have the same length as src (${src.length}); got ${out.length}.`,
    );
  }
  bitRounder(spec, options.saturate === true)(bitsOf(src), bitsOf(out));
  return out;
}
