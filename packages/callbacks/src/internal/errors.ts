/**
 * Option checks of the callbacks. The error builders themselves live once, in
 * @tfjs-amp/kernels/shared (the same wording in every package); here `wrongType` takes the raw
 * value and describes it (the shared `wrongTypeOf`).
 */
import {invalidChoice, outOfRange, wrongTypeOf as wrongType} from '@tfjs-amp/kernels/shared';

export {
  describeValue,
  invalidChoice,
  outOfRange,
  wrongTypeOf as wrongType,
} from '@tfjs-amp/kernels/shared';

/** Checks an option is a positive integer (or absent), returning it or the default. */
export function positiveInteger(
  where: string,
  name: string,
  value: unknown,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw outOfRange(where, name, 'a positive integer', value);
  }
  return value;
}

/** Checks an option is a boolean (or absent), returning it or the default. */
export function booleanOption(
  where: string,
  name: string,
  value: unknown,
  fallback: boolean,
): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw wrongType(where, name, 'a boolean', value);
  return value;
}

/** Checks an option is a function (or absent), returning it or the default. */
export function functionOption<F extends (...args: never[]) => unknown>(
  where: string,
  name: string,
  value: unknown,
  fallback: F,
): F {
  if (value === undefined) return fallback;
  if (typeof value !== 'function') throw wrongType(where, name, 'a function', value);
  return value as F;
}

/** Rejects option keys the callback does not know (a typo would otherwise be silently ignored). */
export function checkOptionKeys(
  where: string,
  options: unknown,
  allowed: readonly string[],
): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw wrongType(where, 'options', 'an object', options);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw invalidChoice(where, 'option', key, allowed);
  }
  return options as Record<string, unknown>;
}
