import {isPolicyName, POLICY_NAMES, type PolicyName} from '@tfjs-amp/policy';
import {checkOptionKeys, invalidChoice, outOfRange, wrongType} from './internal/errors.js';
import type {PrecisionRuleFn} from './precision-rule.js';

/** Options of {@link lossThresholdRule}. */
export interface LossThresholdRuleOptions {
  /** The loss above which `above` is used, at or below which `below`. Required; finite. */
  threshold: number;
  /** Policy while the loss is above `threshold`. Default `'mixed_bfloat16'`: early, fast. */
  above?: PolicyName;
  /** Policy once the loss is at or below `threshold`. Default `'float32'`: late, accurate. */
  below?: PolicyName;
  /** Log entry compared (`'val_loss'`, a metric, ...). Default `'loss'`. */
  key?: string;
}

/** Defaults of {@link LossThresholdRuleOptions} (`threshold` has none). */
export const DEFAULT_LOSS_THRESHOLD_RULE_OPTIONS: Readonly<
  Required<Omit<LossThresholdRuleOptions, 'threshold'>>
> = Object.freeze({above: 'mixed_bfloat16', below: 'float32', key: 'loss'});

const WHERE = 'lossThresholdRule';

function policyOption(name: string, value: unknown, fallback: PolicyName): PolicyName {
  if (value === undefined) return fallback;
  if (!isPolicyName(value)) throw invalidChoice(WHERE, `policy in ${name}`, value, POLICY_NAMES);
  return value;
}

/**
 * The loss-threshold preset for {@link precisionRule}: computes in `above` while the loss (or
 * `key`) is above `threshold` and in `below` once it is at or below it, as in the dynamic
 * precision adjustment example this project started from (pick the precision by thresholds on
 * the loss). A missing or non-finite value keeps the current policy (a non-finite loss is
 * `precisionFallback`'s and `terminateOnNaN`'s business). The defaults train in bfloat16 while
 * the loss is high and refine in float32 once it is low; swap them to widen the precision while
 * the loss is high instead.
 * @throws TypeError for an unknown option or policy, or a key that is not a string; RangeError
 *   for a threshold that is not a finite number.
 * @example
 * const rule = precisionRule(lossThresholdRule({threshold: 0.1}));
 * await model.fit(xs, ys, {epochs: 20, callbacks: [rule]});
 */
export function lossThresholdRule(options: LossThresholdRuleOptions): PrecisionRuleFn {
  const o = checkOptionKeys(WHERE, options, ['threshold', 'above', 'below', 'key']);
  const threshold = o.threshold;
  if (typeof threshold !== 'number' || !Number.isFinite(threshold)) {
    throw outOfRange(WHERE, 'threshold', 'a finite number', threshold);
  }
  const d = DEFAULT_LOSS_THRESHOLD_RULE_OPTIONS;
  const above = policyOption('above', o.above, d.above);
  const below = policyOption('below', o.below, d.below);
  if (o.key !== undefined && typeof o.key !== 'string') {
    throw wrongType(WHERE, 'key', 'a log entry name', o.key);
  }
  const key = (o.key as string | undefined) ?? d.key;
  return ({logs}) => {
    const value = logs[key];
    if (value === undefined || !Number.isFinite(value)) return null;
    return value > threshold ? above : below;
  };
}
