// @tfjs-amp/policy: Keras-style precision policies for tfjs layers models. float32 master
// weights, low-precision compute emulated bit-exactly at fixed cast points, sensitive layers
// kept in float32; plain model.fit keeps working.

// Policies
export {POLICY_NAMES, Policy, isPolicyName} from './policy.js';
export type {LowFormatName, PolicyName} from './policy.js';
export {getGlobalPolicy, setGlobalPolicy} from './global-policy.js';

// Applying to a model
export {
  DEFAULT_APPLY_POLICY_OPTIONS,
  applyPolicy,
  policyOf,
  policyRootOf,
  removePolicy,
} from './apply-policy.js';
export type {ApplyPolicyOptions} from './apply-policy.js';
export {INDEX_INPUT_LAYERS, VALUE_SELECTING_LAYERS, planCastPoints} from './cast-points.js';
export type {CastPlan, InheritedPolicy, PolicyReason} from './cast-points.js';
export {KEEP_FLOAT32_LAYERS, matchKeepFloat32} from './keep-float32.js';
export type {KeepFloat32Match, LayerFacts} from './keep-float32.js';
export {describePolicy} from './describe-policy.js';
export {recommendedPolicy} from './recommended-policy.js';
export type {PolicyRecommendation} from './recommended-policy.js';
export type {DescribePolicyOptions, PolicyExecution, PolicyRow} from './describe-policy.js';

// Saving and loading
export {
  POLICY_METADATA_KEY,
  loadLayersModelWithPolicy,
  readPolicyRecord,
  restorePolicy,
  saveModelWithPolicy,
} from './serialization.js';
export type {
  LoadWithPolicyOptions,
  PolicyRecord,
  SavedWeightFormat,
  SaveWithPolicyOptions,
} from './serialization.js';
export {decodeBfloat16Weights} from './serialization-bfloat16.js';
export {ModelFileError, checkWeightData} from './serialization-check.js';
export type {CheckWeightDataOptions, WeightFile} from './serialization-check.js';
