import type {FormatName, FormatSpec} from '../formats/format-spec.js';
import {resolveFormat} from '../formats/index.js';
import {describeValue, wrongType} from '../internal/errors.js';
import {roundFloat32, roundingPlan} from './round-bits.js';

/** Options shared by {@link roundArray}, {@link encode} and `quantize`. */
export interface RoundingOptions {
  /**
   * Clamp overflow to ±maxFinite instead of ±Inf (or NaN for formats without Inf), and map ±Inf
   * inputs to ±maxFinite; NaN stays NaN. Default `false`, as in ml_dtypes and the OCP FP8 spec's
   * non-saturating mode. Saturating is the usual choice for float8 activations and weights.
   */
  saturate?: boolean;
}

/** Throws unless `value` is a Float32Array; `name` is the argument's name in the message. */
export function assertFloat32Array(
  where: string,
  name: string,
  value: unknown,
  fix = 'Convert it first: Float32Array.from(values).',
): asserts value is Float32Array {
  if (!(value instanceof Float32Array)) {
    throw wrongType(where, name, 'a Float32Array', describeValue(value), fix);
  }
}

/** Reads `options.saturate`, checking its type. */
export function saturateOption(where: string, options: RoundingOptions | undefined): boolean {
  const saturate = options?.saturate ?? false;
  if (typeof saturate !== 'boolean') {
    throw wrongType(where, 'options.saturate', 'a boolean', describeValue(saturate));
  }
  return saturate;
}

/**
 * Rounds every float32 in `src` to the nearest value representable in `format` and writes the
 * float32 results to `dst`: round-to-nearest-even, subnormals kept, signed zero kept, NaN stays
 * NaN (quiet, sign and top payload bits kept), overflow to ±Inf (NaN for float8_e4m3fn, or
 * ±maxFinite with `saturate`). Pure typed-array code; no tfjs involved.
 *
 * `dst` may be `src` itself (in place) but must not partly overlap it; by default a new array
 * is returned.
 * @throws TypeError when `src` or `dst` is not a Float32Array, `format` is unknown, or
 *   `options.saturate` is not a boolean.
 * @throws RangeError when `dst` has a different length or partly overlaps `src`.
 * @example roundArray(new Float32Array([1 + 2 ** -11, 0.1]), 'float16') // [1, 0.0999755859375]
 */
export function roundArray(
  src: Float32Array,
  format: FormatName | FormatSpec,
  dst?: Float32Array,
  options?: RoundingOptions,
): Float32Array {
  assertFloat32Array('roundArray', 'src', src);
  const spec = resolveFormat(format, 'roundArray');
  const saturate = saturateOption('roundArray', options);
  const out = dst ?? new Float32Array(src.length);
  assertFloat32Array(
    'roundArray',
    'dst',
    out,
    'Pass a Float32Array of the same length, or omit it.',
  );
  if (out.length !== src.length) {
    throw new RangeError(
      `roundArray: dst must have the same length as src (${src.length}); got ${out.length}.`,
    );
  }
  if (out !== src && partlyOverlaps(src, out)) {
    throw new RangeError(
      'roundArray: dst partly overlaps src in the same buffer; pass src itself (in place) or a separate array.',
    );
  }
  roundFloat32(src, out, roundingPlan(spec, saturate));
  return out;
}

function partlyOverlaps(a: Float32Array, b: Float32Array): boolean {
  if (a.buffer !== b.buffer) return false;
  const aEnd = a.byteOffset + a.byteLength;
  const bEnd = b.byteOffset + b.byteLength;
  return a.byteOffset < bEnd && b.byteOffset < aEnd && a.byteOffset !== b.byteOffset;
}
