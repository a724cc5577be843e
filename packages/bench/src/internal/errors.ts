/**
 * Error builders, so every message of this package has the same shape as the rest of tfjs-amp:
 * `<where>: <what> <problem>; got <value>. <allowed or fix>`.
 */

/** Renders a value for an error message: strings quoted, objects by class name. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  if (Array.isArray(value)) return 'Array';
  if (typeof value === 'object') {
    const ctor = (value as object).constructor?.name;
    return ctor && ctor !== 'Object' ? ctor : 'object';
  }
  return String(value);
}

/** `where: unknown <what> 'x'. Allowed: a, b, c. <fix>` as a TypeError. */
export function invalidChoice(
  where: string,
  what: string,
  value: unknown,
  allowed: readonly string[],
  fix = '',
): TypeError {
  return new TypeError(
    `${where}: unknown ${what} ${describeValue(value)}. Allowed: ${allowed.join(', ')}.${fix ? ` ${fix}` : ''}`,
  );
}

/** `where: name must be <range>; got v.` as a RangeError. */
export function outOfRange(where: string, name: string, range: string, value: unknown): RangeError {
  return new RangeError(`${where}: ${name} must be ${range}; got ${describeValue(value)}.`);
}

/** `where: name must be <expected>; got <actual>. <fix>` as a TypeError. */
export function wrongType(
  where: string,
  name: string,
  expected: string,
  actual: string,
  fix = '',
): TypeError {
  return new TypeError(
    `${where}: ${name} must be ${expected}; got ${actual}.${fix ? ` ${fix}` : ''}`,
  );
}

/** Checks that `value` is an integer in [min, max]; `where` and `name` go into the message. */
export function checkInteger(
  where: string,
  name: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range =
      max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`;
    throw outOfRange(where, name, range, value);
  }
  return value;
}
