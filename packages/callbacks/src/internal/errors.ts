/**
 * Error builders, so every message in this package has the same shape as the rest of tfjs-amp:
 * `<where>: <what> <problem>; got <value>. <allowed or fix>`.
 */

/** Renders a value for an error message: strings quoted, objects by class name. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  if (Array.isArray(value)) return 'Array';
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
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
): TypeError {
  return new TypeError(
    `${where}: unknown ${what} ${describeValue(value)}. Allowed: ${allowed.join(', ')}.`,
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
  value: unknown,
  fix = '',
): TypeError {
  return new TypeError(
    `${where}: ${name} must be ${expected}; got ${describeValue(value)}.${fix ? ` ${fix}` : ''}`,
  );
}

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
