import type * as tf from '@tensorflow/tfjs';
import type {PolicyName} from '@tfjs-amp/policy';

/** Why precisionFallback left a policy: the step and the reason, for messages. */
export interface LeftPolicy {
  readonly step: number;
  readonly reason: string;
}

/**
 * Policies `precisionFallback` left during the current `fit`, per model the policy is applied
 * to. `precisionSchedule` and `precisionRule` read it so the fallback wins: they never switch back
 * to a policy that failed in this run. Cleared by the fallback at the start of each `fit`.
 */
const LEFT = new WeakMap<tf.LayersModel, Map<PolicyName, LeftPolicy>>();

/** Records that the fallback left `policy` on `root`. */
export function markLeft(root: tf.LayersModel, policy: PolicyName, why: LeftPolicy): void {
  let map = LEFT.get(root);
  if (map == null) {
    map = new Map();
    LEFT.set(root, map);
  }
  if (!map.has(policy)) map.set(policy, why);
}

/** Why the fallback left `policy` on `root` in this run, or `undefined`. */
export function leftPolicy(root: tf.LayersModel, policy: PolicyName): LeftPolicy | undefined {
  return LEFT.get(root)?.get(policy);
}

/** Forgets the policies left on `root` (start of a `fit`). */
export function clearLeft(root: tf.LayersModel): void {
  LEFT.delete(root);
}
