import type * as tf from '@tensorflow/tfjs';
import {isPolicyName, POLICY_NAMES, type PolicyName} from '@tfjs-amp/policy';
import type {StepPosition} from './internal/amp-callback.js';
import {checkOptionKeys, describeValue, invalidChoice, wrongType} from './internal/errors.js';
import {type CallbackLogs, readLogValue} from './internal/log-value.js';
import {readLossScaleState} from './internal/loss-scale-state.js';
import {
  type PrecisionSwitchEvent,
  PrecisionSwitcher,
  switcherOptions,
} from './internal/precision-switcher.js';
import {NumericsMonitor, type NumericsSample} from './numerics-monitor.js';

/** What a {@link PrecisionRuleFn} is given after each epoch (or step). */
export interface PrecisionRuleInput {
  /** The epoch just finished (or holding the step just finished). */
  epoch: number;
  /** The step's batch within its epoch; the epoch's last batch in `'epoch'` mode. */
  batch: number;
  /** The step just finished; the epoch's last step in `'epoch'` mode. */
  step: number;
  /** The policy that epoch or step ran under. */
  policy: PolicyName;
  /** `logs.loss` (the batch loss, or the epoch's mean loss), `undefined` when absent. */
  loss: number | undefined;
  /** Every entry of the batch or epoch logs, as numbers (metrics, `val_*`, `loss_scale`, ...). */
  logs: Readonly<Record<string, number>>;
  /** The LossScaleOptimizer's scale for the next step; `null` without one. */
  lossScale: number | null;
  /** Steps the LossScaleOptimizer skipped in that epoch (or step: 0 or 1); `null` without one. */
  skippedSteps: number | null;
  /** The latest sample of the `numerics` monitor given in the options, or `null`. */
  numerics: NumericsSample | null;
  /** Switches made so far in this `fit`. */
  switches: readonly PrecisionSwitchEvent[];
}

/**
 * A user rule: the policy for the next epoch (or step), or `null` / `undefined` to keep the
 * current one. May return a Promise.
 */
export type PrecisionRuleFn = (
  input: PrecisionRuleInput,
) => PolicyName | null | undefined | Promise<PolicyName | null | undefined>;

/** Options of {@link precisionRule}. */
export interface PrecisionRuleOptions {
  /**
   * How often the rule runs: after every epoch (with the epoch logs; the result applies from the
   * next epoch) or after every step (batch logs; from the next step). Default `'epoch'`: one call
   * and no extra device read per epoch. `'step'` reads the batch logs every step.
   */
  every?: 'epoch' | 'step';
  /** A numericsMonitor whose latest sample the rule gets as `numerics`. Default `null`. */
  numerics?: NumericsMonitor | null;
  /** The model the policy was applied to. Default: found with `policyRootOf`. */
  model?: tf.LayersModel | null;
  /** Where each switch is reported; `null` for none. Default `console.info`. */
  log?: ((message: string) => void) | null;
}

/** Defaults of {@link PrecisionRuleOptions}. */
export const DEFAULT_PRECISION_RULE_OPTIONS: Readonly<Required<PrecisionRuleOptions>> =
  Object.freeze({
    every: 'epoch',
    numerics: null,
    model: null,
    log: (message: string) => console.info(message),
  });

const WHERE = 'precisionRule';

/** The callback made by {@link precisionRule}. */
export class PrecisionRule extends PrecisionSwitcher {
  /** `'epoch'` or `'step'`. */
  readonly every: 'epoch' | 'step';
  private readonly rule: PrecisionRuleFn;
  private readonly numerics: NumericsMonitor | null;
  private skippedBefore = 0;
  private skippedInPeriod = 0;
  private decided: {to: PolicyName; reason: string} | null = null;
  private lastAt: StepPosition = {epoch: 0, batch: 0, step: 0};

  constructor(rule: PrecisionRuleFn, options?: PrecisionRuleOptions) {
    if (typeof rule !== 'function') {
      throw wrongType(
        WHERE,
        'rule',
        'a function of the logs returning a policy name or null',
        rule,
        "Example: precisionRule(({loss}) => (loss < 0.1 ? 'float32' : null)).",
      );
    }
    const o = checkOptionKeys(WHERE, options, Object.keys(DEFAULT_PRECISION_RULE_OPTIONS));
    super(WHERE, switcherOptions(WHERE, o, DEFAULT_PRECISION_RULE_OPTIONS.log));
    const every = o.every ?? DEFAULT_PRECISION_RULE_OPTIONS.every;
    if (every !== 'epoch' && every !== 'step') {
      throw invalidChoice(WHERE, 'every', every, ['epoch', 'step']);
    }
    if (o.numerics != null && !(o.numerics instanceof NumericsMonitor)) {
      throw wrongType(WHERE, 'numerics', 'a numericsMonitor() or null', o.numerics);
    }
    this.every = every;
    this.rule = rule;
    this.numerics = (o.numerics as NumericsMonitor | null | undefined) ?? null;
  }

  protected override async beginRun(): Promise<void> {
    this.decided = null;
    this.skippedInPeriod = 0;
  }

  protected override async beginEpoch(epoch: number): Promise<void> {
    if (this.every === 'epoch') {
      this.skippedInPeriod = 0;
      this.applyDecision({epoch, batch: 0, step: this.nextStepIndex});
    }
  }

  protected override async beginBatch(at: StepPosition): Promise<void> {
    if (this.every === 'step') {
      this.skippedInPeriod = 0;
      this.applyDecision(at);
    }
    const state = this.lossScaleState;
    if (state != null) this.skippedBefore = (await readLossScaleState(state)).skippedSteps;
  }

  protected override async endBatch(at: StepPosition, logs?: CallbackLogs): Promise<void> {
    const state = this.lossScaleState;
    if (state != null && (await readLossScaleState(state)).skippedSteps > this.skippedBefore) {
      this.skippedInPeriod++;
    }
    this.lastAt = at;
    if (this.every === 'step') await this.decide(at, logs);
  }

  protected override async endEpoch(epoch: number, logs?: CallbackLogs): Promise<void> {
    if (this.every !== 'epoch') return;
    await this.decide({...this.lastAt, epoch}, logs);
  }

  private applyDecision(at: StepPosition): void {
    if (this.decided == null) return;
    const {to, reason} = this.decided;
    this.decided = null;
    this.switchTo(at, to, 'rule', reason);
  }

  private async decide(at: StepPosition, logs?: CallbackLogs): Promise<void> {
    const values: Record<string, number> = {};
    for (const key of Object.keys(logs ?? {})) {
      const v = await readLogValue(logs, key);
      if (v !== undefined) values[key] = v;
    }
    const state =
      this.lossScaleState == null ? null : await readLossScaleState(this.lossScaleState);
    const samples = this.numerics?.samples;
    const input: PrecisionRuleInput = {
      ...at,
      policy: this.policy,
      loss: values.loss,
      logs: Object.freeze(values),
      lossScale: state?.lossScale ?? null,
      skippedSteps: state == null ? null : this.skippedInPeriod,
      numerics: samples != null && samples.length > 0 ? samples[samples.length - 1]! : null,
      switches: this.switches,
    };
    const result = await this.rule(input);
    if (result == null) return;
    const when =
      this.every === 'epoch'
        ? `epoch ${at.epoch}`
        : `epoch ${at.epoch}, batch ${at.batch} (step ${at.step})`;
    if (typeof result !== 'string') {
      throw new TypeError(
        `${WHERE}: the rule returned ${describeValue(result)} after ${when}; it must return a ` +
          `policy name (${POLICY_NAMES.join(', ')}), or null to keep the current policy.`,
      );
    }
    if (!isPolicyName(result)) {
      throw new TypeError(
        `${WHERE}: the rule returned an unknown policy ${describeValue(result)} after ${when}. ` +
          `Allowed: ${POLICY_NAMES.join(', ')}, or null to keep the current policy.`,
      );
    }
    const loss = values.loss === undefined ? '' : `loss ${values.loss}`;
    const scale = input.lossScale == null ? '' : `, loss scale ${input.lossScale}`;
    this.decided = {to: result, reason: `rule after ${when}: ${loss}${scale}`.replace(/: $/, '')};
  }
}

/**
 * Switches the compute precision during `fit` / `fitDataset` by a rule of your own: after every
 * epoch (or step, `every: 'step'`) `rule` gets the logs as numbers, the loss, the
 * LossScaleOptimizer's scale and skipped steps, and the latest numerics sample (pass
 * `numerics: numericsMonitor(...)`, listed before this callback), and returns the policy for the
 * next epoch (or step), or `null` to keep the current one. {@link lossThresholdRule} is a ready
 * rule: a precision by thresholds on the loss.
 *
 * Switching, recording (`.switches`, `precision_policy` / `precision_switches` in the logs and
 * `history.history`), the LossScaleOptimizer (left alone) and `precisionFallback` (it wins: a
 * policy it left in this run is not entered again) work as in {@link precisionSchedule}. A
 * decision made after the last epoch is not applied. Put this callback after the ones whose log
 * entries the rule reads (`lossScaleMonitor`, `numericsMonitor`).
 * @throws TypeError when `rule` is not a function or for a bad option; during `fit`, TypeError
 *   when the rule returns anything but a policy name, `null` or `undefined` (`fit` rejects).
 * @example
 * const rule = precisionRule(({loss}) => (loss !== undefined && loss < 0.05 ? 'float32' : null));
 * await model.fit(xs, ys, {epochs: 20, callbacks: [rule]});
 */
export function precisionRule(
  rule: PrecisionRuleFn,
  options?: PrecisionRuleOptions,
): PrecisionRule {
  return new PrecisionRule(rule, options);
}
