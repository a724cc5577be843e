import * as tf from '@tensorflow/tfjs';
import {type CastPlan, type InheritedPolicy, planCastPoints} from './cast-points.js';
import {getGlobalPolicy} from './global-policy.js';
import {describeValue, wrongType} from './internal/errors.js';
import {patchCall, unpatchCall} from './internal/instrument.js';
import {isLayer, type Layer, layerFacts, subLayers, walkLayers} from './internal/layer-walk.js';
import {readPolicyMetadata, restoreMetadata, writePolicyMetadata} from './internal/metadata.js';
import {
  LAYER_RECORDS,
  type LayerRecord,
  type NormalizedOptions,
  ROOT_RECORDS,
  type RootRecord,
} from './internal/registry.js';
import {VariableRounding} from './internal/variable-rounding.js';
import {KEEP_FLOAT32_LAYERS, matchKeepFloat32} from './keep-float32.js';
import {Policy, type PolicyName, toPolicy} from './policy.js';

/** Options of {@link applyPolicy}. */
export interface ApplyPolicyOptions {
  /**
   * Per-layer policies, by layer name: `{logits: 'float32', encoder: 'mixed_bfloat16'}`. A name
   * may be a layer or a nested model, whose layers then default to that policy. An override wins
   * over `keepFloat32` for the layer it names. Default `{}`.
   */
  overrides?: Readonly<Record<string, Policy | PolicyName>>;
  /**
   * Layer names, layer class names and activation names kept in float32 (see
   * {@link KEEP_FLOAT32_LAYERS} for how each kind matches). Replaces the default list; spread it
   * to extend it: `[...KEEP_FLOAT32_LAYERS, 'attention_scores']`. Default
   * {@link KEEP_FLOAT32_LAYERS}, as Keras 3 and PyTorch autocast keep normalization and softmax
   * in float32.
   */
  keepFloat32?: readonly string[];
}

/** Defaults of {@link ApplyPolicyOptions}. */
export const DEFAULT_APPLY_POLICY_OPTIONS: Readonly<Required<ApplyPolicyOptions>> = Object.freeze({
  overrides: Object.freeze({}),
  keepFloat32: KEEP_FLOAT32_LAYERS,
});

const WHERE = 'applyPolicy';

/** Registered serializable class names: every built-in and custom layer class and activation. */
function knownClassNames(): Set<string> {
  return new Set(Object.keys(tf.serialization.SerializationMap.getMap().classNameMap));
}

/** Checks and normalizes options against the model's layer names. Throws before any change. */
function normalizeOptions(
  options: ApplyPolicyOptions,
  layerNames: ReadonlySet<string>,
): {normalized: NormalizedOptions; overrides: Map<string, Policy>} {
  if (options == null || typeof options !== 'object') {
    throw wrongType(WHERE, 'options', 'an object', describeValue(options));
  }
  const overrides = new Map<string, Policy>();
  const rawOverrides = options.overrides ?? DEFAULT_APPLY_POLICY_OPTIONS.overrides;
  if (rawOverrides == null || typeof rawOverrides !== 'object' || Array.isArray(rawOverrides)) {
    throw wrongType(
      WHERE,
      'options.overrides',
      'an object mapping layer names to policies',
      describeValue(rawOverrides),
    );
  }
  for (const [name, value] of Object.entries(rawOverrides)) {
    if (!layerNames.has(name)) {
      throw new TypeError(
        `${WHERE}: options.overrides names no layer of this model: '${name}'. ` +
          `Layers: ${[...layerNames].join(', ')}.`,
      );
    }
    overrides.set(name, toPolicy(value, WHERE, `options.overrides['${name}']`));
  }
  const keepFloat32 = options.keepFloat32 ?? DEFAULT_APPLY_POLICY_OPTIONS.keepFloat32;
  if (!Array.isArray(keepFloat32)) {
    throw wrongType(
      WHERE,
      'options.keepFloat32',
      'an array of layer names, layer class names or activation names',
      describeValue(keepFloat32),
    );
  }
  let classNames: Set<string> | null = null;
  for (const entry of keepFloat32) {
    if (typeof entry !== 'string') {
      throw wrongType(WHERE, 'every options.keepFloat32 entry', 'a string', describeValue(entry));
    }
    if (layerNames.has(entry) || KEEP_FLOAT32_LAYERS.includes(entry)) continue;
    classNames ??= knownClassNames();
    if (!classNames.has(entry)) {
      throw new TypeError(
        `${WHERE}: unknown options.keepFloat32 entry '${entry}'. Allowed: a layer name of ` +
          `this model, a layer class name (e.g. BatchNormalization) or an activation name ` +
          `(e.g. softmax).`,
      );
    }
  }
  const sortedOverrides: Record<string, string> = {};
  for (const name of [...overrides.keys()].sort())
    sortedOverrides[name] = overrides.get(name)!.name;
  return {
    normalized: Object.freeze({
      overrides: Object.freeze(sortedOverrides),
      keepFloat32: Object.freeze([...keepFloat32]),
    }),
    overrides,
  };
}

/** One layer as planned: what to record and whether to instrument it. */
interface PlannedLayer {
  readonly layer: Layer;
  readonly plan: CastPlan;
  readonly role: LayerRecord['role'];
}

const FLOAT32 = new Policy('float32');

/** Whether a plan changes anything when the layer runs. */
function needsPatch(plan: CastPlan): boolean {
  return (
    plan.roundInputs || plan.roundWeights || plan.roundOutputs || plan.variableFormat !== 'float32'
  );
}

/** Plans every layer reachable from `root` (containers, layers, and sub-layers of patched layers). */
function planModel(
  root: Layer,
  policy: Policy,
  overrides: ReadonlyMap<string, Policy>,
  keepFloat32: readonly string[],
): PlannedLayer[] {
  const planned: PlannedLayer[] = [];
  const forChildren = new Map<Layer, InheritedPolicy>();
  const taken = new Set<Layer>();
  const rootInherited: InheritedPolicy = {policy, reason: 'default'};
  for (const step of walkLayers(root)) {
    const parent = step.ancestors[step.ancestors.length - 1];
    const inherited = parent == null ? rootInherited : forChildren.get(parent)!;
    const facts = layerFacts(step.layer);
    const override = overrides.get(step.layer.name);
    const plan = planCastPoints(facts, inherited, override, keepFloat32);
    taken.add(step.layer);
    if (step.isContainer) {
      let inner = inherited;
      if (override != null) inner = {policy: override, reason: 'override'};
      else if (
        inherited.policy.isLowPrecision &&
        matchKeepFloat32(facts, keepFloat32) === 'layer'
      ) {
        inner = {policy: FLOAT32, reason: 'kept-float32'};
      }
      forChildren.set(step.layer, inner);
      planned.push({layer: step.layer, plan, role: 'container'});
      continue;
    }
    planned.push({layer: step.layer, plan, role: 'layer'});
    if (!needsPatch(plan)) continue;
    for (const sub of subLayers(step.layer)) {
      if (taken.has(sub)) continue;
      taken.add(sub);
      planned.push({layer: sub, plan, role: 'sub-layer'});
    }
  }
  return planned;
}

/** Names a policy option may refer to: every layer and nested model reachable from `root`. */
function reachableNames(root: Layer): Set<string> {
  return new Set(walkLayers(root).map((s) => s.layer.name));
}

function assertLayer(model: unknown, where: string): asserts model is Layer {
  if (!isLayer(model)) {
    throw wrongType(
      where,
      'model',
      'a tfjs LayersModel or Layer',
      describeValue(model),
      'Build it with tf.sequential(), tf.model() or tf.loadLayersModel().',
    );
  }
}

function ownerOf(layer: Layer): Layer | null {
  return LAYER_RECORDS.get(layer)?.root ?? null;
}

/**
 * Instruments a tfjs model in place so it computes under a precision policy, and returns it.
 * Training stays plain `model.fit` / `fitDataset` / `trainOnBatch`; `evaluate` and `predict`
 * work as before. Any backend works: rounding runs the `AmpQuantize` kernel through the kernel
 * registry, so native kernels registered by other packages are picked up.
 *
 * Cast points, per layer call (layers inside nested models, RNN cells at every timestep, and
 * layers inside wrappers included):
 * 1. floating inputs are rounded to the compute format (integer inputs untouched; Embedding and
 *    CategoryEncoding inputs are indices and never rounded);
 * 2. every weight, trainable or not, is read rounded to the compute format, for the duration of
 *    the call only; the variables themselves stay float32 (master weights) under `mixed_*`;
 * 3. the layer runs its own float32 arithmetic on those values (one fused half-precision kernel
 *    accumulating in float32);
 * 4. floating outputs are rounded to the compute format, the model's final outputs included
 *    (losses then run in float32 on those values, as in Keras).
 * Backward, the gradient crossing each cast point is rounded to the compute format, so
 * gradients of at most half its smallest subnormal vanish (float16: |g| ≤ 2^-25 ≈ 3e-8) and
 * large ones overflow to Inf, as on half-precision hardware: that is what loss scaling is for.
 *
 * Kept in float32 by default ({@link KEEP_FLOAT32_LAYERS}): BatchNormalization and
 * LayerNormalization layers entirely, and the outputs of softmax / log-softmax activations.
 * Pure policies (`float16`, `bfloat16`) also round the variables now and on every later
 * assignment (see `removePolicy` for how they come back).
 *
 * Applying the same policy and options again is a no-op (layers added since are instrumented);
 * applying a different one replaces the previous cleanly. The policy is recorded in the model's
 * user-defined metadata, so `model.save` keeps it (see `restorePolicy`).
 *
 * Differs from Keras 3, where each layer owns a `dtype_policy` from construction and casts
 * inside its own ops: here an existing model is instrumented from outside, a layer's internal
 * arithmetic stays float32, and rounding happens only at the cast points above. Differs from
 * PyTorch autocast, which picks a precision per op (matmul, conv in half; reductions, softmax,
 * norms in float32) for the duration of a context; here the unit is the layer.
 * @param policy Default: {@link getGlobalPolicy}.
 * @throws TypeError for a model that is not a tfjs layer, an unknown policy name, an override
 *   naming no layer, or an unknown keepFloat32 entry; nothing is changed then.
 * @throws Error when one of the model's layers is already instrumented through another model
 *   (remove that policy first).
 * @example
 * applyPolicy(model, 'mixed_float16');
 * model.compile({optimizer: 'adam', loss: 'categoricalCrossentropy'});
 * await model.fit(xs, ys, {epochs: 5});
 */
export function applyPolicy<T extends Layer>(
  model: T,
  policy?: Policy | PolicyName,
  options: ApplyPolicyOptions = {},
): T {
  assertLayer(model, WHERE);
  const resolved = policy == null ? getGlobalPolicy() : toPolicy(policy, WHERE);
  const {normalized, overrides} = normalizeOptions(options, reachableNames(model));
  const key = JSON.stringify([resolved.name, normalized]);
  const planned = planModel(model, resolved, overrides, normalized.keepFloat32);
  for (const {layer} of planned) {
    const owner = ownerOf(layer);
    if (owner != null && owner !== model) {
      throw new Error(
        `${WHERE}: layer '${layer.name}' is already instrumented through model '${owner.name}'; ` +
          `call removePolicy on '${owner.name}' first.`,
      );
    }
  }
  const existing = ROOT_RECORDS.get(model);
  if (existing != null && existing.key === key) {
    instrumentPlanned(model, planned, existing);
    if (existing.metadataBefore != null && readPolicyMetadata(model) === undefined) {
      // The user replaced the metadata since: record the policy again on top of theirs.
      existing.metadataBefore = writePolicyMetadata(model, resolved.name, normalized);
    }
    return model;
  }
  if (existing != null) removePolicy(model);
  const hasPureLayers = planned.some((p) => p.plan.variableFormat !== 'float32');
  const record: RootRecord = {
    policy: resolved,
    options: normalized,
    key,
    layers: [],
    variables: hasPureLayers ? new VariableRounding() : null,
    metadataBefore: writePolicyMetadata(model, resolved.name, normalized),
  };
  ROOT_RECORDS.set(model, record);
  instrumentPlanned(model, planned, record);
  return model;
}

/** Records and instruments every planned layer that has no record yet. */
function instrumentPlanned(
  root: Layer,
  planned: readonly PlannedLayer[],
  record: RootRecord,
): void {
  for (const {layer, plan, role} of planned) {
    if (LAYER_RECORDS.has(layer)) continue;
    const patch =
      role !== 'container' && needsPatch(plan) ? patchCall(layer, plan, record.variables) : null;
    LAYER_RECORDS.set(layer, {root, plan, patch, role});
    record.layers.push(layer);
    if (record.variables != null && patch != null && plan.variableFormat !== 'float32') {
      record.variables.hook(layer.weights, plan.variableFormat);
    }
  }
}

/**
 * Undoes {@link applyPolicy} on `model`: every instrumented `call` is put back, the policy record
 * is taken out of the user-defined metadata, and the model computes exactly as plain tfjs again,
 * bit for bit. Under `mixed_*` policies variables were never changed. Under pure policies a
 * variable not written since the policy was applied gets its float32 value back; one that was
 * trained keeps its (low-precision) trained value. A model with no policy is returned as is.
 * @throws Error when `model` is part of a model the policy was applied to (remove it there).
 * @example
 * removePolicy(model); // plain float32 tfjs again
 */
export function removePolicy<T extends Layer>(model: T): T {
  assertLayer(model, 'removePolicy');
  const record = ROOT_RECORDS.get(model);
  if (record == null) {
    const owner = ownerOf(model);
    if (owner != null) {
      throw new Error(
        `removePolicy: '${model.name}' was instrumented through model '${owner.name}'; ` +
          `call removePolicy on '${owner.name}'.`,
      );
    }
    return model;
  }
  for (const layer of [...record.layers].reverse()) {
    const layerRecord = LAYER_RECORDS.get(layer);
    if (layerRecord?.patch != null) unpatchCall(layer, layerRecord.patch);
    LAYER_RECORDS.delete(layer);
  }
  record.variables?.unhookAll();
  if (record.metadataBefore != null) restoreMetadata(model, record.metadataBefore);
  ROOT_RECORDS.delete(model);
  return model;
}

/**
 * The model {@link applyPolicy} was called on that covers `layer`: the layer itself when the
 * policy was applied to it, the model it was instrumented through, or, for a container that is
 * neither (the inner LayersModel a `tf.Sequential` hands to `fit` and its callbacks), the one
 * model all of its instrumented layers belong to. Null when no applied policy covers it.
 * @example
 * applyPolicy(sequential, 'mixed_float16');
 * policyRootOf(sequential.model) === sequential // true: what callbacks see in fit
 */
export function policyRootOf(layer: Layer): Layer | null {
  assertLayer(layer, 'policyRootOf');
  if (ROOT_RECORDS.has(layer)) return layer;
  const own = LAYER_RECORDS.get(layer)?.root;
  if (own != null) return own;
  let shared: Layer | null = null;
  for (const child of subLayers(layer)) {
    const root = LAYER_RECORDS.get(child)?.root;
    if (root == null) continue;
    if (shared != null && root !== shared) return null;
    shared = root;
  }
  return shared;
}

const POLICIES = new Map<PolicyName, Policy>();

/**
 * The policy a layer computes under: the model's policy, its override, or `float32` for a
 * layer kept in float32 (a layer whose softmax output alone is kept reports the model's policy).
 * An RNN cell or wrapped layer reports its owner's. Null when no applied policy covers the layer
 * (it computes in float32 as plain tfjs does).
 * @example
 * policyOf(model.getLayer('dense_1'))?.name // 'mixed_float16'
 */
export function policyOf(layer: Layer): Policy | null {
  assertLayer(layer, 'policyOf');
  const record = LAYER_RECORDS.get(layer);
  if (record == null) return null;
  let policy = POLICIES.get(record.plan.policy);
  if (policy == null) {
    policy = new Policy(record.plan.policy);
    POLICIES.set(policy.name, policy);
  }
  return policy;
}
