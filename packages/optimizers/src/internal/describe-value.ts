/** Renders a value for an error message: strings quoted, objects by class name. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'Array';
  if (typeof value === 'object') {
    const ctor = (value as object).constructor?.name;
    return ctor && ctor !== 'Object' ? ctor : 'object';
  }
  return String(value);
}

/**
 * Checks that `options[name]` (or its default) is a finite number in a range and returns it.
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
    throw new RangeError(
      `${where}: ${name} must be a finite number in [${min}, ${upper}; got ${describeValue(v)}.`,
    );
  }
  return v;
}
