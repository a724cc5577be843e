import {Policy, type PolicyName} from '@tfjs-amp/policy';

/** How a configuration scales its loss: `dynamic` wraps Adam in a `LossScaleOptimizer`. */
export type LossScaling = 'dynamic' | 'none';

/** One training configuration of the suite: a policy and whether its loss is scaled. */
export interface RunVariant {
  /** Unique within a suite: the policy name, plus `:no-loss-scaling` for the ablation. */
  readonly id: string;
  /** The precision policy (`applyPolicy`); `float32` runs the model untouched. */
  readonly policy: PolicyName;
  /** Whether a `LossScaleOptimizer` wraps the optimizer. */
  readonly lossScaling: LossScaling;
  /** How tables and charts name it: `mixed_float16 (no loss scaling)`. */
  readonly label: string;
}

/**
 * The loss scaling a policy gets by default: dynamic when it computes in float16 (whose small
 * exponent range makes gradients underflow), none otherwise (bfloat16 has float32's exponent
 * range). Keras 3 does the same when it compiles a `mixed_float16` model.
 */
export function defaultLossScaling(policy: PolicyName): LossScaling {
  return new Policy(policy).computeDtype === 'float16' ? 'dynamic' : 'none';
}

/** The configuration for `policy` with `lossScaling` (its default when omitted). */
export function makeVariant(
  policy: PolicyName,
  lossScaling = defaultLossScaling(policy),
): RunVariant {
  const isDefault = lossScaling === defaultLossScaling(policy);
  const suffix = lossScaling === 'none' ? 'no loss scaling' : 'loss scaling';
  return Object.freeze({
    id: isDefault
      ? policy
      : `${policy}:${lossScaling === 'none' ? 'no-loss-scaling' : 'loss-scaling'}`,
    policy,
    lossScaling,
    label: isDefault ? policy : `${policy} (${suffix})`,
  });
}
