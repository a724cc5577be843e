import * as tf from '@tensorflow/tfjs';
import type {PolicyName} from '@tfjs-amp/policy';
import {AmpCallback, type StepPosition} from './amp-callback.js';
import {wrongType} from './errors.js';
import {leftPolicy} from './fallback-registry.js';
import type {CallbackLogs} from './log-value.js';
import {type LossScaleState, lossScaleStateOf} from './loss-scale-state.js';
import {
  computesInFloat16,
  currentPolicy,
  forgetCurrentPolicy,
  policyCode,
  resolvePolicyRoot,
  switchPolicy,
} from './switch-policy.js';

/** One policy switch made by `precisionSchedule` or `precisionRule`. */
export interface PrecisionSwitchEvent {
  /** Epoch of the first step computed under `to`. */
  epoch: number;
  /** Batch (within `epoch`) of the first step computed under `to`. */
  batch: number;
  /** First step (batches since the start of `fit`) computed under `to`. */
  step: number;
  from: PolicyName;
  to: PolicyName;
  /** What decided it: a schedule entry or the rule. */
  source: 'schedule' | 'rule';
  /** Why, in words (the schedule entry, or the rule's inputs). */
  reason: string;
}

/** Options every precision switcher takes. */
export interface SwitcherOptions {
  /** The model the policy was applied to. Default: found with `policyRootOf`. */
  model?: tf.LayersModel | null;
  /** Where each switch (and each switch refused) is reported; `null` for none. */
  log?: ((message: string) => void) | null;
}

/** Checks the shared options; returns them resolved. */
export function switcherOptions(
  where: string,
  o: Record<string, unknown>,
  defaultLog: ((message: string) => void) | null,
): {model: tf.LayersModel | null; log: ((message: string) => void) | null} {
  if (o.model != null && !(o.model instanceof tf.LayersModel)) {
    throw wrongType(where, 'model', 'a tf.LayersModel', o.model);
  }
  if (o.log !== undefined && o.log !== null && typeof o.log !== 'function') {
    throw wrongType(where, 'log', 'a function or null', o.log);
  }
  return {
    model: (o.model as tf.LayersModel | null | undefined) ?? null,
    log: o.log === undefined ? defaultLog : (o.log as ((m: string) => void) | null),
  };
}

/**
 * Base of `precisionSchedule` and `precisionRule`: finds the model the policy was applied to,
 * switches it between steps with {@link switchPolicy}, records each switch (`switches`, the
 * `precision_policy` / `precision_switches` log entries) and defers to `precisionFallback` (a
 * policy it left in this run is not entered again).
 */
export abstract class PrecisionSwitcher extends AmpCallback {
  /** Switches of the current (or latest) `fit`, in order. */
  readonly switches: PrecisionSwitchEvent[] = [];
  protected readonly log: ((message: string) => void) | null;
  private readonly rootOption: tf.LayersModel | null;
  private rootModel: tf.LayersModel | null = null;
  private lossScale: LossScaleState | null = null;
  private switchesThisEpoch = 0;
  private readonly refused = new Set<PolicyName>();

  protected constructor(
    where: string,
    shared: {model: tf.LayersModel | null; log: ((m: string) => void) | null},
  ) {
    super(where);
    this.rootOption = shared.model;
    this.log = shared.log;
  }

  /** The policy the model computes under now (`float32` when none is applied). */
  get policy(): PolicyName {
    return this.rootModel == null ? 'float32' : currentPolicy(this.rootModel);
  }

  /** The model the policy is applied to (valid from the start of `fit`). */
  protected get root(): tf.LayersModel {
    return this.rootModel!;
  }

  /** The model's LossScaleOptimizer state, or `null` without one. */
  protected get lossScaleState(): LossScaleState | null {
    return this.lossScale;
  }

  protected override async handleTrainBegin(): Promise<void> {
    this.switches.length = 0;
    this.refused.clear();
    this.rootModel = resolvePolicyRoot(this.where, this.trainedModel, this.rootOption);
    forgetCurrentPolicy(this.rootModel);
    this.lossScale = lossScaleStateOf(this.trainedModel);
    await this.beginRun();
  }

  protected override async handleEpochBegin(epoch: number): Promise<void> {
    this.switchesThisEpoch = 0;
    await this.beginEpoch(epoch);
  }

  protected override async handleBatchBegin(at: StepPosition): Promise<void> {
    await this.beginBatch(at);
  }

  protected override async handleBatchEnd(at: StepPosition, logs?: CallbackLogs): Promise<void> {
    // The policy the batch ran under (the rule may decide the next one below).
    if (logs != null) logs.precision_policy = policyCode(this.policy);
    await this.endBatch(at, logs);
  }

  protected override async handleEpochEnd(epoch: number, logs?: CallbackLogs): Promise<void> {
    if (logs != null) {
      logs.precision_policy = policyCode(this.policy);
      logs.precision_switches = this.switchesThisEpoch;
    }
    await this.endEpoch(epoch, logs);
  }

  protected async beginRun(): Promise<void> {}
  protected async beginEpoch(_epoch: number): Promise<void> {}
  protected async beginBatch(_at: StepPosition): Promise<void> {}
  protected async endBatch(_at: StepPosition, _logs?: CallbackLogs): Promise<void> {}
  protected async endEpoch(_epoch: number, _logs?: CallbackLogs): Promise<void> {}

  /**
   * Makes `to` the policy from step `at` on. Nothing happens when it is the current policy, or
   * when `precisionFallback` left it in this run (logged once per policy). Returns whether the
   * policy changed.
   */
  protected switchTo(
    at: StepPosition,
    to: PolicyName,
    source: PrecisionSwitchEvent['source'],
    reason: string,
  ): boolean {
    const root = this.root;
    const from = currentPolicy(root);
    if (to === from) return false;
    const where = `epoch ${at.epoch}, batch ${at.batch} (step ${at.step})`;
    const left = leftPolicy(root, to);
    if (left != null) {
      if (!this.refused.has(to)) {
        this.refused.add(to);
        this.log?.(
          `${this.where}: ${where}: not switching to ${to} (${reason}): precisionFallback left ` +
            `${to} after step ${left.step} (${left.reason}); staying on ${from}. ` +
            'precisionFallback wins for the rest of this fit.',
        );
      }
      return false;
    }
    switchPolicy(root, to);
    this.switchesThisEpoch++;
    this.switches.push({...at, from, to, source, reason});
    let note = '';
    if (computesInFloat16(to) && this.lossScale == null) {
      note =
        ' Warning: float16 compute without a LossScaleOptimizer; small gradients may underflow ' +
        'to zero. Compile with new LossScaleOptimizer(optimizer).';
    }
    this.log?.(`${this.where}: ${where}: switched from ${from} to ${to} (${reason}).${note}`);
    return true;
  }
}
