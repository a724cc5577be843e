import type {FormatName} from '@tfjs-amp/kernels';
import {type LayerFacts, matchKeepFloat32} from './keep-float32.js';
import {Policy, type PolicyName} from './policy.js';

/**
 * Layers whose inputs are indices, not values: their inputs are never rounded (a float32 index
 * above 2048 is not representable in float16). Their weights and outputs are.
 */
export const INDEX_INPUT_LAYERS: readonly string[] = Object.freeze([
  'CategoryEncoding',
  'Embedding',
]);

/**
 * Layers that only move, select or pad values (with zeros): on rounded inputs their outputs are
 * rounded already, so their output cast rounds nothing in the forward pass (it still rounds the
 * gradient on the way back).
 */
export const VALUE_SELECTING_LAYERS: readonly string[] = Object.freeze([
  'Concatenate',
  'Cropping2D',
  'Flatten',
  'GlobalMaxPooling1D',
  'GlobalMaxPooling2D',
  'MaxPooling1D',
  'MaxPooling2D',
  'MaxPooling3D',
  'Maximum',
  'Minimum',
  'Permute',
  'RepeatVector',
  'Reshape',
  'ZeroPadding2D',
]);

/** Why a layer got its formats: the model's policy, an override, or a keep-float32 rule. */
export type PolicyReason = 'default' | 'override' | 'kept-float32';

/**
 * Where one layer rounds, as plain data. A layer under a low-precision policy behaves like one
 * fused half-precision kernel: inputs and weights are rounded to `computeFormat`, the layer's own
 * arithmetic runs in float32 (as tensor cores accumulate in float32), and its outputs are rounded
 * once. The backward pass rounds gradients at the same points.
 */
export interface CastPlan {
  /** The policy this layer effectively follows (float32 for layers kept in float32). */
  readonly policy: PolicyName;
  /** Format floating inputs and weights are rounded to when the layer runs. */
  readonly computeFormat: FormatName;
  /** Format the layer's variables are stored in (float32 except under pure policies). */
  readonly variableFormat: FormatName;
  /** Format the layer's outputs are rounded to (float32: not rounded). */
  readonly outputFormat: FormatName;
  /** Whether floating inputs are rounded (false in float32 and for {@link INDEX_INPUT_LAYERS}). */
  readonly roundInputs: boolean;
  /** Whether weights are read rounded to `computeFormat` during the call. */
  readonly roundWeights: boolean;
  /** Whether floating outputs are rounded to `computeFormat`. */
  readonly roundOutputs: boolean;
  /** Whether the layer is one of {@link VALUE_SELECTING_LAYERS} (its output cast is free forward). */
  readonly selectsValues: boolean;
  /** Why the layer got these formats. */
  readonly reason: PolicyReason;
}

/** The policy a layer inherits from its model (or from an overridden enclosing model). */
export interface InheritedPolicy {
  readonly policy: Policy;
  readonly reason: 'default' | 'override' | 'kept-float32';
}

const FLOAT32 = new Policy('float32');

/**
 * Decides a layer's cast points from its facts, the policy it inherits, its own override (if
 * any) and the keep-float32 entries. An override wins over keep-float32 rules for that layer.
 */
export function planCastPoints(
  facts: LayerFacts,
  inherited: InheritedPolicy,
  override: Policy | undefined,
  keepFloat32: readonly string[],
): CastPlan {
  let policy = inherited.policy;
  let reason: PolicyReason = inherited.reason;
  let keepOutput = false;
  if (override != null) {
    policy = override;
    reason = 'override';
  } else if (policy.isLowPrecision) {
    const match = matchKeepFloat32(facts, keepFloat32);
    if (match === 'layer') {
      policy = FLOAT32;
      reason = 'kept-float32';
    } else if (match === 'output') {
      keepOutput = true;
      reason = 'kept-float32';
    }
  }
  const low = policy.isLowPrecision;
  const roundOutputs = low && !keepOutput;
  return Object.freeze({
    policy: policy.name,
    computeFormat: policy.computeDtype,
    variableFormat: policy.variableDtype,
    outputFormat: roundOutputs ? policy.computeDtype : 'float32',
    roundInputs: low && !INDEX_INPUT_LAYERS.includes(facts.className),
    roundWeights: low,
    roundOutputs,
    selectsValues: VALUE_SELECTING_LAYERS.includes(facts.className),
    reason,
  });
}
