import type * as tf from '@tensorflow/tfjs';
import {
  applyPolicy,
  DEFAULT_APPLY_POLICY_OPTIONS,
  POLICY_NAMES,
  type PolicyName,
  policyOf,
  policyRootOf,
  readPolicyRecord,
  removePolicy,
} from '@tfjs-amp/policy';

/** Policies read or set per root model, so a per-step read costs no metadata parse. */
const CURRENT = new WeakMap<tf.LayersModel, PolicyName>();

/**
 * The policy `root` computes under now (`'float32'` when it has none), as recorded in its
 * metadata. Cached between {@link forgetCurrentPolicy} calls (each callback's start of `fit`):
 * switches made with {@link switchPolicy} update the cache; an `applyPolicy` call by hand in the
 * middle of a `fit` is not seen until the next one.
 */
export function currentPolicy(root: tf.LayersModel): PolicyName {
  let name = CURRENT.get(root);
  if (name == null) {
    name = readPolicyRecord(root)?.name ?? 'float32';
    CURRENT.set(root, name);
  }
  return name;
}

/** Drops the cached policy of `root` (start of a `fit`). */
export function forgetCurrentPolicy(root: tf.LayersModel): void {
  CURRENT.delete(root);
}

/**
 * Switches `root` to policy `to` through `@tfjs-amp/policy`'s public API only: the policy
 * recorded on the model is removed, then `to` is applied with the same `overrides` and
 * `keepFloat32` list (the default list when the model had no policy). Under `mixed_*` policies
 * and float32 neither call touches a variable, so master weights and optimizer state stay bit
 * for bit; entering a pure policy (`float16`, `bfloat16`) rounds the variables, as `applyPolicy`
 * always does for those. Returns the policy it switched from.
 */
export function switchPolicy(root: tf.LayersModel, to: PolicyName): PolicyName {
  const record = readPolicyRecord(root);
  const from = record?.name ?? 'float32';
  removePolicy(root);
  CURRENT.delete(root);
  applyPolicy(root, to, {
    overrides: record?.overrides ?? {},
    keepFloat32: record?.keepFloat32 ?? DEFAULT_APPLY_POLICY_OPTIONS.keepFloat32,
  });
  CURRENT.set(root, to);
  return from;
}

/**
 * The number a policy is logged as (`precision_policy` in logs and `history.history`): its index
 * in `POLICY_NAMES` (sorted, frozen). Logs hold numbers only, as tfjs's History reads them.
 */
export function policyCode(name: PolicyName): number {
  return POLICY_NAMES.indexOf(name);
}

/** Whether the policy computes in float16 (so gradients need loss scaling). */
export function computesInFloat16(name: PolicyName): boolean {
  return name === 'mixed_float16' || name === 'float16';
}

function computingLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((l) => l.getClassName() !== 'InputLayer');
}

/**
 * The model the policy was applied to, for the model `fit` trains (`tf.Sequential.fit` trains an
 * inner LayersModel): `option` when given, else `policyRootOf(trained)`, else `trained`.
 * @throws TypeError when `option` lacks one of the trained model's layers, or when layers carry
 *   policies applied through another model and no single model holds the policy.
 */
export function resolvePolicyRoot(
  where: string,
  trained: tf.LayersModel,
  option: tf.LayersModel | null,
): tf.LayersModel {
  const root = option ?? (policyRootOf(trained) as tf.LayersModel | null) ?? trained;
  if (root !== trained) {
    const rootLayers = new Set(computingLayers(root));
    const missing = computingLayers(trained).find((l) => !rootLayers.has(l));
    if (missing != null) {
      throw new TypeError(
        `${where}: options.model '${root.name}' is not the model fit() trains: it lacks layer ` +
          `'${missing.name}'. Pass the model the policy was applied to.`,
      );
    }
  }
  if (readPolicyRecord(root) == null) {
    const instrumented = computingLayers(trained).find((l) => policyOf(l) != null);
    if (instrumented != null) {
      throw new TypeError(
        `${where}: layer '${instrumented.name}' computes under ` +
          `${policyOf(instrumented)!.name}, applied to another model object than the one fit() ` +
          'trains, and no single model holds the policy. Pass the model the policy was applied ' +
          `to: ${where}({model}).`,
      );
    }
  }
  return root;
}
