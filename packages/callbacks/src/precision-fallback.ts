import * as tf from '@tensorflow/tfjs';
import {isPolicyName, POLICY_NAMES, type PolicyName} from '@tfjs-amp/policy';
import {AmpCallback, type StepPosition} from './internal/amp-callback.js';
import {BatchFiniteness, type NonFiniteData} from './internal/batch-finiteness.js';
import {
  booleanOption,
  checkOptionKeys,
  invalidChoice,
  positiveInteger,
  wrongType,
} from './internal/errors.js';
import {type CallbackLogs, readLogValue} from './internal/log-value.js';
import {clearLeft, markLeft} from './internal/fallback-registry.js';
import {
  type LossScaleState,
  lossScaleStateOf,
  minScaleOf,
  readLossScaleState,
} from './internal/loss-scale-state.js';
import {
  currentPolicy,
  forgetCurrentPolicy,
  resolvePolicyRoot,
  switchPolicy,
} from './internal/switch-policy.js';
import {
  disposeSnapshot,
  isSnapshotFinite,
  restoreSnapshot,
  type TrainingSnapshot,
  takeSnapshot,
} from './internal/training-snapshot.js';

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
   * Put back the last good state when switching, and undo a step whose batch held non-finite
   * data: the weights and the optimizer's state variables (Adam's moments and `accBeta`s, ...)
   * of the latest step (taken every `snapshotEvery` steps) that started finite and whose loss was
   * finite. Default `true`. Snapshots share the data (no copy) until training replaces it.
   */
  restoreWeights?: boolean;
  /** Take a snapshot every this many steps. Default 1. */
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
  /** Step whose starting weights (and optimizer state) were put back, or `null` when none were. */
  restoredFromStep: number | null;
}

/**
 * A step whose loss was non-finite because its batch held a NaN or Inf (in an input or a
 * target): bad data, not a precision overflow, so the policy was kept and the step undone.
 */
export interface BadDataEvent {
  epoch: number;
  batch: number;
  step: number;
  /** The policy kept. */
  policy: PolicyName;
  /** Which part of the batch was non-finite. */
  cause: 'non-finite-input' | 'non-finite-target';
  loss: number;
  /**
   * Step whose starting weights and optimizer state were put back (this step when its start was
   * finite), or `null` when none could be (training was then stopped).
   */
  restoredFromStep: number | null;
}

/** The callback made by {@link precisionFallback}. */
export class PrecisionFallback extends AmpCallback {
  /** Switches of the current (or latest) `fit`, in order. */
  readonly switches: FallbackEvent[] = [];
  /** Steps undone because their batch held non-finite data, in the current (or latest) `fit`. */
  readonly badData: BadDataEvent[] = [];
  private readonly after: number;
  private readonly order: readonly PolicyName[];
  private readonly restoreWeights: boolean;
  private readonly snapshotEvery: number;
  private readonly rootOption: tf.LayersModel | null;
  private readonly log: ((message: string) => void) | null;
  private readonly finiteness = new BatchFiniteness();
  private root: tf.LayersModel | null = null;
  private state: LossScaleState | null = null;
  private minScale = 1;
  private fixedScale = false;
  private scaleBefore = 0;
  private skippedBefore = 0;
  private stuckSteps = 0;
  private pending: TrainingSnapshot | null = null;
  private lastGood: TrainingSnapshot | null = null;

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

  /** The policy the model computes under now (a schedule or rule may have switched it too). */
  get policy(): PolicyName {
    return this.root == null ? 'float32' : currentPolicy(this.root);
  }

  protected override async handleTrainBegin(): Promise<void> {
    this.dropSnapshots();
    this.finiteness.remove();
    this.switches.length = 0;
    this.badData.length = 0;
    const trained = this.trainedModel;
    this.root = resolvePolicyRoot(this.where, trained, this.rootOption);
    forgetCurrentPolicy(this.root);
    clearLeft(this.root);
    this.state = lossScaleStateOf(trained);
    this.minScale = this.state != null ? minScaleOf(this.state) : 1;
    this.fixedScale =
      (this.state as {options?: {dynamic?: boolean}} | null)?.options?.dynamic === false;
    this.stuckSteps = 0;
    this.finiteness.install(trained);
  }

  protected override async handleBatchBegin(at: StepPosition): Promise<void> {
    this.finiteness.reset();
    if (this.state != null) {
      const state = await readLossScaleState(this.state);
      this.scaleBefore = state.lossScale;
      this.skippedBefore = state.skippedSteps;
    }
    if (this.restoreWeights && at.step % this.snapshotEvery === 0) {
      this.dropPending();
      // A LossScaleOptimizer skips every non-finite step, leaving its slots untouched: weights only.
      this.pending = takeSnapshot(this.trainedModel, at.step, this.state == null);
    }
  }

  protected override async handleBatchEnd(at: StepPosition, logs?: CallbackLogs): Promise<void> {
    const loss = await readLogValue(logs, 'loss');
    const lossBad = loss !== undefined && !Number.isFinite(loss);
    let stuck = false;
    if (this.state != null) {
      const skipped = (await readLossScaleState(this.state)).skippedSteps > this.skippedBefore;
      stuck = skipped && (this.fixedScale || this.scaleBefore <= this.minScale);
    }
    this.stuckSteps = stuck ? this.stuckSteps + 1 : 0;
    if (!lossBad && !stuck) {
      if (this.pending != null) {
        this.dropLastGood();
        this.lastGood = this.pending;
        this.pending = null;
      }
      this.finiteness.reset();
      return;
    }
    if (lossBad) {
      const bad = await this.finiteness.check();
      this.finiteness.reset();
      if (bad != null) {
        await this.undoBadData(at, bad, loss);
        return;
      }
    }
    if (lossBad) await this.fallBack(at, 'non-finite-loss', loss);
    else if (this.stuckSteps >= this.after) await this.fallBack(at, 'overflow-at-min-scale', loss);
    this.dropPending();
  }

  protected override async handleTrainEnd(): Promise<void> {
    this.dropSnapshots();
    this.finiteness.remove();
  }

  private nextPolicy(active: PolicyName): PolicyName | null {
    const i = this.order.indexOf(active);
    const rest = i >= 0 ? this.order.slice(i + 1) : this.order.filter((p) => p !== active);
    return rest[0] ?? null;
  }

  /** A non-finite loss from non-finite data: keep the policy, undo the step (or stop). */
  private async undoBadData(at: StepPosition, bad: NonFiniteData, loss: number): Promise<void> {
    const policy = this.policy;
    const cause = bad === 'input' ? 'non-finite-input' : 'non-finite-target';
    const where = `epoch ${at.epoch}, batch ${at.batch} (step ${at.step})`;
    const restoredFromStep = await this.restoreFinite([this.pending, this.lastGood]);
    this.dropPending();
    this.badData.push({...at, policy, cause, loss, restoredFromStep});
    const what = `loss is ${loss} under ${policy} because the batch's ${bad}s hold a NaN or Inf: bad data, not a precision overflow, so ${policy} is kept`;
    if (restoredFromStep == null) {
      this.trainedModel.stopTraining = true;
      this.log?.(
        `precisionFallback: ${where}: ${what}; training stopped: the step may have put ` +
          'non-finite values into the weights and optimizer state, and no finite snapshot was ' +
          `${this.restoreWeights ? 'left' : 'taken (restoreWeights: false)'}. Clean the data ` +
          '(and set restoreWeights: true to undo such steps).',
      );
      return;
    }
    this.log?.(
      `precisionFallback: ${where}: ${what}; undid the step (${this.restoredWhat()} of ` +
        `step ${restoredFromStep} restored). Clean the data.`,
    );
  }

  private async fallBack(
    at: StepPosition,
    reason: FallbackReason,
    loss: number | undefined,
  ): Promise<void> {
    const root = this.root!;
    const from = currentPolicy(root);
    const to = this.nextPolicy(from);
    const why =
      reason === 'non-finite-loss'
        ? `loss is ${loss} under ${from} with finite inputs and targets`
        : `gradients overflowed with the loss scale at its minimum (${this.scaleBefore}) for ` +
          `${this.stuckSteps} steps in a row under ${from}`;
    const where = `epoch ${at.epoch}, batch ${at.batch} (step ${at.step})`;
    this.stuckSteps = 0;
    markLeft(root, from, {step: at.step, reason});
    // The last good step's start; else (no step was good yet) this step's start, when finite.
    const restoredFromStep = await this.restoreFinite([this.lastGood, this.pending]);
    const restored =
      restoredFromStep != null
        ? ` and restored the ${this.restoredWhat()} the model had at step ${restoredFromStep}.`
        : '.';
    if (to == null) {
      this.switches.push({...at, from, to: null, reason, loss, restoredFromStep});
      this.trainedModel.stopTraining = true;
      this.log?.(
        `precisionFallback: ${where}: ${why}; no policy left after ${from} in order ` +
          `[${this.order.join(', ')}]; training stopped${restored}`,
      );
      return;
    }
    switchPolicy(root, to);
    this.switches.push({...at, from, to, reason, loss, restoredFromStep});
    this.log?.(`precisionFallback: ${where}: ${why}; switched to ${to}${restored}`);
  }

  /** What a restore puts back: a LossScaleOptimizer's slots never see a non-finite step. */
  private restoredWhat(): string {
    return this.state == null ? 'weights and optimizer state' : 'weights';
  }

  /**
   * Puts back the first finite snapshot of `candidates` (when restoring is on); returns its step,
   * or `null` when none was restored.
   */
  private async restoreFinite(candidates: Array<TrainingSnapshot | null>): Promise<number | null> {
    if (!this.restoreWeights) return null;
    for (const snapshot of candidates) {
      if (snapshot == null || !(await isSnapshotFinite(snapshot))) continue;
      restoreSnapshot(this.trainedModel, snapshot);
      return snapshot.step;
    }
    return null;
  }

  private dropPending(): void {
    disposeSnapshot(this.pending);
    this.pending = null;
  }

  private dropLastGood(): void {
    disposeSnapshot(this.lastGood);
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

/**
 * Switches the model to a wider precision policy when the current one fails, and keeps training.
 * A step fails when its loss is NaN or ±Inf while its inputs and targets were finite (switch at
 * once: a loss scale cannot fix a forward overflow), or when it overflowed with the loss scale
 * already at its minimum for `after` steps in a row (needs a LossScaleOptimizer). Then, at the end
 * of that batch: the policy is removed and the next one of `order` applied with the same overrides
 * and keepFloat32 list, the last good state (weights and optimizer variables) is put back
 * (`restoreWeights`), the reason is logged, and `fit` goes on with the next batch. With no policy
 * left in `order`, training stops instead (after restoring).
 *
 * Bad data is not a precision problem: a non-finite loss whose batch held a NaN or Inf in an
 * input (the tensors fed to the model's entry layers) or a target is recorded in `.badData`, the
 * policy is kept, and the step is undone (weights and optimizer state of its start, or of the last
 * finite snapshot), so a NaN row never leaves NaN weights or Adam moments behind. When nothing
 * finite can be restored (`restoreWeights: false`), training stops with a message saying so.
 * Telling the two apart costs one small reduction per input and target each step, read only
 * after a non-finite loss.
 *
 * Not rewound: the loss scale and step counters (`iterations`), except that an optimizer which
 * captures its own state (`fuseOptimizer(...)` of `@tfjs-amp/optimizers`, whose slots live in
 * TensorFlow on tfjs-node) is put back whole, `iterations` and Adam's `beta^t` included, so the
 * steps after an undo match a run that never took the undone step bit for bit. Optimizer slots
 * created after the restored snapshot are dropped, so the optimizer creates them afresh on its
 * next applied step.
 * With a LossScaleOptimizer, failing steps were skipped anyway; the scale, collapsed to its
 * minimum, grows back by its own rule.
 *
 * With `precisionSchedule` / `precisionRule`: this callback wins. It falls back from whatever
 * policy the model has now, and a policy it left is not entered again by them in this `fit`.
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
