import {invalidChoice, outOfRange} from '@tfjs-amp/kernels/shared';

export {describeValue, invalidChoice, outOfRange, wrongTypeOf} from '@tfjs-amp/kernels/shared';

/**
 * Returns `value` (or `fallback` when it is undefined/null) when it is a finite number in
 * `[min, max]` (`[min, max)` with `maxOpen`).
 * @throws RangeError naming the option, the range and the value.
 */
export function numberOption(
  where: string,
  name: string,
  value: unknown,
  fallback: number,
  range: {min: number; max?: number; maxOpen?: boolean},
): number {
  const v = value ?? fallback;
  const {min, max = Number.POSITIVE_INFINITY, maxOpen = false} = range;
  const ok =
    typeof v === 'number' && Number.isFinite(v) && v >= min && (maxOpen ? v < max : v <= max);
  if (!ok) {
    const upper = max === Number.POSITIVE_INFINITY ? '∞)' : `${max}${maxOpen ? ')' : ']'}`;
    throw outOfRange(where, name, `a finite number in [${min}, ${upper}`, v);
  }
  return v;
}

/**
 * Returns `value` (or `fallback`) when it is one of `allowed`.
 * @throws TypeError listing what is allowed.
 */
export function choiceOption<T extends string>(
  where: string,
  name: string,
  value: unknown,
  fallback: T,
  allowed: readonly T[],
): T {
  const v = value ?? fallback;
  if (!(allowed as readonly unknown[]).includes(v)) throw invalidChoice(where, name, v, allowed);
  return v as T;
}
