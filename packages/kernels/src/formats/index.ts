import {invalidChoice} from '../internal/errors.js';
import {BFLOAT16} from './bfloat16.js';
import {FLOAT8_E4M3FN} from './float8-e4m3fn.js';
import {FLOAT8_E5M2} from './float8-e5m2.js';
import {FLOAT16} from './float16.js';
import {FLOAT32} from './float32.js';
import type {FormatName, FormatSpec} from './format-spec.js';
import {TF32} from './tf32.js';

const FORMATS: Readonly<Record<FormatName, FormatSpec>> = Object.freeze({
  bfloat16: BFLOAT16,
  float16: FLOAT16,
  float32: FLOAT32,
  float8_e4m3fn: FLOAT8_E4M3FN,
  float8_e5m2: FLOAT8_E5M2,
  tf32: TF32,
});

/** Every supported format name, sorted: bfloat16, float16, float32, float8_e4m3fn, float8_e5m2, tf32. */
export const FORMAT_NAMES: readonly FormatName[] = Object.freeze(
  (Object.keys(FORMATS) as FormatName[]).sort(),
);

/** Whether `name` is one of {@link FORMAT_NAMES}. */
export function isFormatName(name: unknown): name is FormatName {
  return typeof name === 'string' && Object.hasOwn(FORMATS, name);
}

/**
 * The frozen descriptor of a format, by name. A descriptor passed in is looked up by its `name`
 * (so a copy or a modified object still gives the built-in one).
 * @throws TypeError for an unknown name; the message lists {@link FORMAT_NAMES}.
 * @example getFormat('float16').maxFinite // 65504
 */
export function getFormat(format: FormatName | FormatSpec): FormatSpec {
  return resolveFormat(format, 'getFormat');
}

/**
 * {@link getFormat} for the package's own functions: `where` and `what` name the caller and the
 * argument in the error (`quantize: unknown options.gradFormat 'x'. Allowed: …`).
 */
export function resolveFormat(format: unknown, where: string, what = 'format'): FormatSpec {
  const name =
    typeof format === 'object' && format !== null && 'name' in format
      ? (format as {name: unknown}).name
      : format;
  if (!isFormatName(name)) throw invalidChoice(where, what, name, FORMAT_NAMES);
  return FORMATS[name];
}
