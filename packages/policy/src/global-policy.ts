import {Policy, type PolicyName, toPolicy} from './policy.js';

let globalPolicy = new Policy('float32');

/**
 * Sets the policy `applyPolicy(model)` uses when it is given none. Default `float32`.
 *
 * Differs from Keras 3 `keras.config.set_dtype_policy`: tfjs layers have no dtype policy of their
 * own, so this changes no layer, existing or new; it only picks the default for `applyPolicy`.
 * @throws TypeError when `policy` is neither a Policy nor a known policy name.
 * @example
 * setGlobalPolicy('mixed_float16');
 * applyPolicy(model); // same as applyPolicy(model, 'mixed_float16')
 */
export function setGlobalPolicy(policy: Policy | PolicyName): void {
  globalPolicy = toPolicy(policy, 'setGlobalPolicy');
}

/** The policy `applyPolicy` uses by default (`float32` until {@link setGlobalPolicy} changes it). */
export function getGlobalPolicy(): Policy {
  return globalPolicy;
}
