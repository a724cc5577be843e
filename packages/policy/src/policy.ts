import {FORMAT_NAMES, type FormatName} from '@tfjs-amp/kernels';
import {describeValue, invalidChoice} from './internal/errors.js';

/** Formats a policy may compute in, other than float32. */
export type LowFormatName = Exclude<FormatName, 'float32'>;

/**
 * Names of precision policies, spelled as Keras 3 spells them:
 * - `float32`: everything float32 (tfjs's own behaviour).
 * - `mixed_<format>` (`mixed_float16`, `mixed_bfloat16`, also `mixed_tf32`, `mixed_float8_e4m3fn`,
 *   `mixed_float8_e5m2`): compute in `<format>`, variables stay float32 (master weights).
 * - `float16`, `bfloat16`: compute *and* variables in that format, the "pure half" baseline that
 *   shows why float32 master weights matter.
 */
export type PolicyName = 'float32' | 'float16' | 'bfloat16' | `mixed_${LowFormatName}`;

/** Formats whose pure (variables-too) policy exists: storing weights in tf32 or float8 is not a thing. */
const PURE_LOW_FORMATS: readonly LowFormatName[] = ['bfloat16', 'float16'];

/** Every accepted policy name, sorted. */
export const POLICY_NAMES: readonly PolicyName[] = Object.freeze(
  [
    'float32',
    ...PURE_LOW_FORMATS,
    ...FORMAT_NAMES.filter((f): f is LowFormatName => f !== 'float32').map(
      (f): PolicyName => `mixed_${f}`,
    ),
  ].sort() as PolicyName[],
);

/** Whether `name` is one of {@link POLICY_NAMES}. */
export function isPolicyName(name: unknown): name is PolicyName {
  return typeof name === 'string' && (POLICY_NAMES as readonly string[]).includes(name);
}

/**
 * A precision policy: the format a layer computes in and the format its variables are stored in.
 * Values always live in float32 tensors (tfjs has no half dtype); a format says which float32
 * values are allowed, and the policy rounds to it at fixed cast points (see `applyPolicy`).
 *
 * Matches Keras 3 `keras.DTypePolicy` names and fields (`compute_dtype` → `computeDtype`,
 * `variable_dtype` → `variableDtype`). Unlike Keras, creating a policy or setting the global
 * policy changes no layer by itself: `applyPolicy(model, policy)` instruments an existing model.
 * @throws TypeError when `name` is not one of {@link POLICY_NAMES}.
 * @example
 * const p = new Policy('mixed_float16');
 * p.computeDtype // 'float16'
 * p.variableDtype // 'float32'
 */
export class Policy {
  /** The policy's name, e.g. `mixed_float16`. */
  readonly name: PolicyName;
  /** Format inputs, weights and outputs of a layer are rounded to when it runs. */
  readonly computeDtype: FormatName;
  /** Format variables are stored in: float32 for `float32` and `mixed_*`, else the compute format. */
  readonly variableDtype: FormatName;

  constructor(name: PolicyName) {
    if (!isPolicyName(name)) {
      const hint =
        typeof name === 'string' && (FORMAT_NAMES as readonly string[]).includes(name)
          ? ` Did you mean 'mixed_${name}'? (only float16 and bfloat16 have a pure policy)`
          : '';
      throw invalidChoice('Policy', 'name', name, POLICY_NAMES, hint.trim());
    }
    this.name = name;
    if (name.startsWith('mixed_')) {
      this.computeDtype = name.slice('mixed_'.length) as FormatName;
      this.variableDtype = 'float32';
    } else {
      this.computeDtype = name as FormatName;
      this.variableDtype = name as FormatName;
    }
    Object.freeze(this);
  }

  /** Whether this policy rounds anything at all (false only for `float32`). */
  get isLowPrecision(): boolean {
    return this.computeDtype !== 'float32';
  }

  /** The name, so that `JSON.stringify` and string templates show the policy. */
  toJSON(): PolicyName {
    return this.name;
  }

  toString(): string {
    return `Policy(${this.name})`;
  }
}

/**
 * A `Policy` from a policy or its name; `where` and `what` name the argument in the error.
 * @throws TypeError when `value` is neither a Policy nor a known name.
 */
export function toPolicy(value: unknown, where: string, what = 'policy'): Policy {
  if (value instanceof Policy) return value;
  if (isPolicyName(value)) return new Policy(value);
  if (typeof value === 'string') throw invalidChoice(where, `${what} name`, value, POLICY_NAMES);
  throw new TypeError(
    `${where}: ${what} must be a Policy or one of ${POLICY_NAMES.join(', ')}; got ${describeValue(value)}.`,
  );
}
