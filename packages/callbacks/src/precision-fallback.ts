import * as tf from '@tensorflow/tfjs';
import {
  applyPolicy,
  DEFAULT_APPLY_POLICY_OPTIONS,
  isPolicyName,
  POLICY_NAMES,
  type PolicyName,
  policyOf,
  policyRootOf,
  readPolicyRecord,
  removePolicy,
} from '@tfjs-amp/policy';
import {AmpCallback, type StepPosition} from './internal/amp-callback.js';
import {
  booleanOption,
  checkOptionKeys,
  invalidChoice,
  positiveInteger,
  wrongType,
} from './internal/errors.js';
import {type CallbackLogs, readLogValue} from './internal/log-value.js';
import {type LossScaleState, lossScaleStateOf, minScaleOf} from './internal/loss-scale-state.js';
import {snapshotWeights} from './internal/weight-snapshot.js';

/** Options of {@link precisionFallback}. */
export interface PrecisionFallbackOptions {
  /**
   * Consecutive steps that overflow with the loss scale at its minimum (the LossScaleOptimizer's
   * `minScale`, or a fixed scale) before switching. Default 10: one such step can be a bad batch,
   * ten in a row mean gradients do not fit the format at any scale.
   */
  after?: number;
  /**
   * Policies to fall back along; the next one after the model's current policy is applied (the
   * first one other than the current if it is not listed). Default
   * `['mixed_float16', 'mixed_bfloat16', 'float32']`: bfloat16 has float32's range, float32 is the
   * last resort.
   */
  order?: readonly PolicyName[];
  /**
   * Put back the last good weights when switching: those of the latest step (taken every
   * `snapshotEvery` steps) whose loss was finite and that did not overflow at the minimum scale.
   * Default `true`. Snapshots share the weights' data (no copy) until training replaces it.
   */
  restoreWeights?: boolean;
  /** Take a weight snapshot every this many steps. Default 1. */
  snapshotEvery?: number;
  /**
   * The model the policy was applied to. Default: found from the model `fit` trains with
   * `policyRootOf` (so a `tf.Sequential`, which trains an inner LayersModel, needs no option).
   */
  model?: tf.LayersModel | null;
  /** Where the reason for each switch goes; `null` for none. Default `console.warn`. */
  log?: ((message: string) => void) | null;
}

/** Defaults of {@link PrecisionFallbackOptions}. */
export const DEFAULT_PRECISION_FALLBACK_OPTIONS: Readonly<Required<PrecisionFallbackOptions>> =
  Object.freeze({
    after: 10,
    order: Object.freeze(['mixed_float16', 'mixed_bfloat16', 'float32'] as PolicyName[]),
    restoreWeights: true,
    snapshotEvery: 1,
    model: null,
    log: (message: string) => console.warn(message),
  });

/** Why {@link precisionFallback} switched. */
export type FallbackReason = 'non-finite-loss' | 'overflow-at-min-scale';

/** One switch (or, with `to: null`, the stop at the end of `order`). */
export interface FallbackEvent {
  epoch: number;
  batch: number;
  /** Step (batches since the start of `fit`) after which the switch happened. */
  step: number;
  from: PolicyName;
  /** The policy applied, or `null` when `order` had none left and training was stopped. */
  to: PolicyName | null;
  reason: FallbackReason;
  /** The batch loss that triggered it (`non-finite-loss`), else the latest loss. */
  loss: number | undefined;
  /** Step whose starting weights were put back, or `null` when none were. */
  restoredFromStep: number | null;
}

/** The callback made by {@link precisionFallback}. */
export class PrecisionFallback extends AmpCallback {
  /** Switches of the current (or latest) `fit`, in order. */
  readonly switches: FallbackEvent[] = [];
  private readonly after: number;
  private readonly order: readonly PolicyName[];
  private readonly restoreWeights: boolean;
  private readonly snapshotEvery: number;
  private readonly rootOption: tf.LayersModel | null;
  private readonly log: ((message: string) => void) | null;
  private root: tf.LayersModel | null = null;
  private active: PolicyName = 'float32';
  private state: LossScaleState | null = null;
  private minScale = 1;
  private fixedScale = false;
  private scaleBefore = 0;
  private skippedBefore = 0;
  private stuckSteps = 0;
  private pending: {step: number; weights: tf.Tensor[]} | null = null;
  private lastGood: {step: number; weights: tf.Tensor[]} | null = null;

  constructor(options?: PrecisionFallbackOptions) {
    super('precisionFallback');
    const o = checkOptionKeys(this.where, options, Object.keys(DEFAULT_PRECISION_FALLBACK_OPTIONS));
    const d = DEFAULT_PRECISION_FALLBACK_OPTIONS;
    this.after = positiveInteger(this.where, 'after', o.after, d.after);
    this.order = orderOption(this.where, o.order ?? d.order);
    this.restoreWeights = booleanOption(
      this.where,
      'restoreWeights',
      o.restoreWeights,
      d.restoreWeights,
    );
    this.snapshotEvery = positiveInteger(
      this.where,
      'snapshotEvery',
      o.snapshotEvery,
      d.snapshotEvery,
    );
    if (o.model != null && !(o.model instanceof tf.LayersModel)) {
      throw wrongType(this.where, 'model', 'a tf.LayersModel', o.model);
    }
    this.rootOption = (o.model as tf.LayersModel | null | undefined) ?? null;
    if (o.log !== undefined && o.log !== null && typeof o.log !== 'function') {
      throw wrongType(this.where, 'log', 'a function or null', o.log);
    }
    this.log = o.log === undefined ? d.log : (o.log as ((m: string) => void) | null);
  }

  /** The policy the model computes under now, as this callback sees it. */
  get policy(): PolicyName {
    return this.active;
  }

  protected override async handleTrainBegin(): Promise<void> {
    this.dropSnapshots();
    this.switches.length = 0;
    const trained = this.trainedModel;
    const root = this.rootOption ?? (policyRootOf(trained) as tf.LayersModel | null) ?? trained;
    if (root !== trained) checkSameLayers(this.where, root, trained);
    const record = readPolicyRecord(root);
    if (record == null) {
      const instrumented = computingLayers(trained).find((l) => policyOf(l) != null);
      if (instrumented != null) {
        throw new TypeError(
          `${this.where}: layer '${instrumented.name}' computes under ` +
            `${policyOf(instrumented)!.name}, applied to another model object than the one fit() ` +
            'trains, and no single model holds the policy. Pass the model the policy was applied ' +
            'to: precisionFallback({model}).',
        );
      }
    }
    this.root = root;
    this.active = record?.name ?? 'float32';
    this.state = lossScaleStateOf(trained);
    this.minScale = this.state != null ? minScaleOf(this.state) : 1;
    this.fixedScale =
      (this.state as {options?: {dynamic?: boolean}} | null)?.options?.dynamic === false;
    this.stuckSteps = 0;
  }

  protected override async handleBatchBegin(at: StepPosition): Promise<void> {
    if (this.state != null) {
      this.scaleBefore = this.state.lossScale;
      this.skippedBefore = this.state.skippedSteps;
    }
    if (this.restoreWeights && at.step % this.snapshotEvery === 0) {
      this.dropPending();
      this.pending = {step: at.step, weights: snapshotWeights(this.trainedModel)};
    }
  }

  protected override async handleBatchEnd(at: StepPosition, logs?: CallbackLogs): Promise<void> {
    const loss = await readLogValue(logs, 'loss');
    const lossBad = loss !== undefined && !Number.isFinite(loss);
    let stuck = false;
    if (this.state != null) {
      const skipped = this.state.skippedSteps > this.skippedBefore;
      stuck = skipped && (this.fixedScale || this.scaleBefore <= this.minScale);
    }
    this.stuckSteps = stuck ? this.stuckSteps + 1 : 0;
    if (!lossBad && !stuck) {
      if (this.pending != null) {
        this.dropLastGood();
        this.lastGood = this.pending;
        this.pending = null;
      }
      return;
    }
    this.dropPending();
    if (lossBad) await this.fallBack(at, 'non-finite-loss', loss);
    else if (this.stuckSteps >= this.after) await this.fallBack(at, 'overflow-at-min-scale', loss);
  }

  protected override async handleTrainEnd(): Promise<void> {
    this.dropSnapshots();
  }

  private nextPolicy(): PolicyName | null {
    const i = this.order.indexOf(this.active);
    const rest = i >= 0 ? this.order.slice(i + 1) : this.order.filter((p) => p !== this.active);
    return rest[0] ?? null;
  }

  private async fallBack(
    at: StepPosition,
    reason: FallbackReason,
    loss: number | undefined,
  ): Promise<void> {
    const from = this.active;
    const to = this.nextPolicy();
    const why =
      reason === 'non-finite-loss'
        ? `loss is ${loss} under ${from}`
        : `gradients overflowed with the loss scale at its minimum (${this.scaleBefore}) for ` +
          `${this.stuckSteps} steps in a row under ${from}`;
    const where = `epoch ${at.epoch}, batch ${at.batch} (step ${at.step})`;
    this.stuckSteps = 0;
    const restored = (): string =>
      restoredFromStep != null
        ? ` and restored the weights the model had at step ${restoredFromStep}.`
        : '.';
    let restoredFromStep: number | null = null;
    if (to == null) {
      restoredFromStep = this.restoreLastGood();
      this.switches.push({...at, from, to: null, reason, loss, restoredFromStep});
      this.trainedModel.stopTraining = true;
      this.log?.(
        `precisionFallback: ${where}: ${why}; no policy left after ${from} in order ` +
          `[${this.order.join(', ')}]; training stopped${restored()}`,
      );
      return;
    }
    const root = this.root!;
    const record = readPolicyRecord(root);
    removePolicy(root);
    restoredFromStep = this.restoreLastGood();
    applyPolicy(root, to, {
      overrides: record?.overrides ?? {},
      keepFloat32: record?.keepFloat32 ?? DEFAULT_APPLY_POLICY_OPTIONS.keepFloat32,
    });
    this.active = to;
    this.switches.push({...at, from, to, reason, loss, restoredFromStep});
    this.log?.(`precisionFallback: ${where}: ${why}; switched to ${to}${restored()}`);
  }

  /** Puts the last good weights back (when asked to); returns the step they are from. */
  private restoreLastGood(): number | null {
    if (!this.restoreWeights || this.lastGood == null) return null;
    this.trainedModel.setWeights(this.lastGood.weights);
    return this.lastGood.step;
  }

  private dropPending(): void {
    if (this.pending != null) tf.dispose(this.pending.weights);
    this.pending = null;
  }

  private dropLastGood(): void {
    if (this.lastGood != null) tf.dispose(this.lastGood.weights);
    this.lastGood = null;
  }

  private dropSnapshots(): void {
    this.dropPending();
    this.dropLastGood();
  }
}

function orderOption(where: string, value: unknown): readonly PolicyName[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw wrongType(where, 'order', 'a non-empty array of policy names', value);
  }
  for (const name of value) {
    if (!isPolicyName(name)) throw invalidChoice(where, 'policy name in order', name, POLICY_NAMES);
  }
  if (new Set(value).size !== value.length) {
    throw new TypeError(`${where}: order lists a policy twice; got [${value.join(', ')}].`);
  }
  return Object.freeze([...value]);
}

function computingLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((l) => l.getClassName() !== 'InputLayer');
}

function checkSameLayers(where: string, root: tf.LayersModel, trained: tf.LayersModel): void {
  const rootLayers = new Set(computingLayers(root));
  const missing = computingLayers(trained).find((l) => !rootLayers.has(l));
  if (missing != null) {
    throw new TypeError(
      `${where}: options.model '${root.name}' is not the model fit() trains: it lacks layer ` +
        `'${missing.name}'. Pass the model the policy was applied to.`,
    );
  }
}

/**
 * Switches the model to a wider precision policy when the current one fails, and keeps training.
 * A step fails when its loss is NaN or ±Inf (switch at once: a loss scale cannot fix a forward
 * overflow), or when it overflowed with the loss scale already at its minimum for `after` steps
 * in a row (needs a LossScaleOptimizer). Then, at the end of that batch: the policy is removed and
 * the next one of `order` applied with the same overrides and keepFloat32 list, the last good
 * weights are put back (`restoreWeights`), the reason is logged, and `fit` goes on with the next
 * batch. With no policy left in `order`, training stops instead.
 *
 * Not restored: the optimizer's slots (Adam moments) and the loss scale. With a
 * LossScaleOptimizer, failing steps were skipped, so slots never saw a non-finite gradient; the
 * scale, collapsed to its minimum, grows back by its own rule.
 * Neither Keras nor PyTorch switches precision on its own.
 * @throws TypeError / RangeError for a bad option; TypeError at the start of `fit` when the
 *   model's layers carry policies applied through different models and `model` is not given.
 * @example
 * const fallback = precisionFallback({after: 20});
 * await model.fit(xs, ys, {epochs: 10, callbacks: [fallback]});
 * fallback.switches; // [{step: 812, from: 'mixed_float16', to: 'mixed_bfloat16', ...}]
 */
export function precisionFallback(options?: PrecisionFallbackOptions): PrecisionFallback {
  return new PrecisionFallback(options);
}
