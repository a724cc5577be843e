/**
 * Error builders for every tfjs-amp package, so each message has one shape:
 * `<where>: <what> <problem>; got <value>. <allowed or fix>` (STYLE §4). The one copy: packages
 * import it from `@tfjs-amp/kernels/shared` (their `internal/errors.ts` only re-exports it).
 */

/**
 * Renders a value for an error message: strings quoted, `null`/`undefined` as words, typed arrays,
 * arrays and class instances by class name, functions by name (never their source), other
 * primitives with `String`.
 * @example describeValue('x') // "'x'"; describeValue(new Float32Array(2)) // 'Float32Array'
 */
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

/** ` <fix>` when a fix is given, else nothing. */
function withFix(fix: string): string {
  return fix ? ` ${fix}` : '';
}

/**
 * `where: unknown <what> 'x'. Allowed: a, b, c. <fix>` as a TypeError.
 * @example throw invalidChoice('Policy', 'name', 'mixed_float61', POLICY_NAMES);
 */
export function invalidChoice(
  where: string,
  what: string,
  value: unknown,
  allowed: readonly string[],
  fix = '',
): TypeError {
  return new TypeError(
    `${where}: unknown ${what} ${describeValue(value)}. Allowed: ${allowed.join(', ')}.${withFix(fix)}`,
  );
}

/**
 * `where: name must be <range>; got v. <fix>` as a RangeError.
 * @example throw outOfRange('LossScaleOptimizer', 'backoffFactor', 'in (0, 1)', 2);
 */
export function outOfRange(
  where: string,
  name: string,
  range: string,
  value: unknown,
  fix = '',
): RangeError {
  return new RangeError(
    `${where}: ${name} must be ${range}; got ${describeValue(value)}.${withFix(fix)}`,
  );
}

/**
 * `where: name must be <expected>; got <actual>. <fix>` as a TypeError, where `actual` is already
 * worded (a dtype, `describeValue(x)`); {@link wrongTypeOf} describes a raw value itself.
 * @example throw wrongType('quantize', 'x', 'a float32 tensor', 'int32', "Cast it first: tf.cast(x, 'float32').");
 */
export function wrongType(
  where: string,
  name: string,
  expected: string,
  actual: string,
  fix = '',
): TypeError {
  return new TypeError(`${where}: ${name} must be ${expected}; got ${actual}.${withFix(fix)}`);
}

/**
 * {@link wrongType} for a raw value: `got` is `describeValue(value)`.
 * @example throw wrongTypeOf('combineCallbacks', 'callbacks', 'an array', 42);
 */
export function wrongTypeOf(
  where: string,
  name: string,
  expected: string,
  value: unknown,
  fix = '',
): TypeError {
  return wrongType(where, name, expected, describeValue(value), fix);
}

/**
 * Checks that `value` is an integer in [min, max] and returns it.
 * @throws RangeError naming `where`, `name`, the range and the value.
 * @example checkInteger('mnist', 'count', 10, 1); // 10
 */
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
