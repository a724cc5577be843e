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

/** `where: unknown <what> 'x'. Allowed: a, b, c.` as a TypeError. */
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
