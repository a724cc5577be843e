/**
 * Error builders, so every message of the package has the same shape:
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
  if (typeof value === 'function') return 'a function';
  return String(value);
}

/** `where: name must be <range>; got v.` as a RangeError. */
export function outOfRange(
  where: string,
  name: string,
  range: string,
  value: unknown,
  fix = '',
): RangeError {
  return new RangeError(
    `${where}: ${name} must be ${range}; got ${describeValue(value)}.${fix ? ` ${fix}` : ''}`,
  );
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

/** `where: unknown <what> 'x'. Allowed: a, b, c.` as a TypeError. */
export function invalidChoice(
  where: string,
  what: string,
  value: unknown,
  allowed: readonly string[],
): TypeError {
  return new TypeError(
    `${where}: unknown ${what} ${describeValue(value)}. Allowed: ${allowed.join(', ')}.`,
  );
}

const warned = new Set<string>();

/**
 * `console.warn`s `message` the first time `key` is seen in this process. Only for situations
 * whose results stay correct; anything that would be wrong throws instead.
 */
export function warnOnce(key: string, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  console.warn(message);
}
