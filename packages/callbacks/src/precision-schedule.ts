import type * as tf from '@tensorflow/tfjs';
import {isPolicyName, POLICY_NAMES, type PolicyName} from '@tfjs-amp/policy';
import type {StepPosition} from './internal/amp-callback.js';
import {checkOptionKeys, describeValue, invalidChoice, wrongType} from './internal/errors.js';
import {PrecisionSwitcher, switcherOptions} from './internal/precision-switcher.js';

/** A schedule entry by epoch: `policy` from the start of epoch `epoch` (as `fit` counts epochs). */
export interface EpochScheduleEntry {
  epoch: number;
  policy: PolicyName;
}

/** A schedule entry by step: `policy` from step `step` (batches since the start of `fit`). */
export interface StepScheduleEntry {
  step: number;
  policy: PolicyName;
}

/** One entry of a {@link precisionSchedule}: all entries of a schedule use the same unit. */
export type ScheduleEntry = EpochScheduleEntry | StepScheduleEntry;

/** Options of {@link precisionSchedule}. */
export interface PrecisionScheduleOptions {
  /** The model the policy was applied to. Default: found with `policyRootOf` (see precisionFallback). */
  model?: tf.LayersModel | null;
  /** Where each switch is reported; `null` for none. Default `console.info`. */
  log?: ((message: string) => void) | null;
}

/** Defaults of {@link PrecisionScheduleOptions}. */
export const DEFAULT_PRECISION_SCHEDULE_OPTIONS: Readonly<Required<PrecisionScheduleOptions>> =
  Object.freeze({
    model: null,
    log: (message: string) => console.info(message),
  });

const WHERE = 'precisionSchedule';

/** The checked schedule: unit and sorted starts. */
interface Checked {
  unit: 'epoch' | 'step';
  starts: number[];
  policies: PolicyName[];
}

function checkSchedule(schedule: unknown): Checked {
  if (!Array.isArray(schedule) || schedule.length === 0) {
    throw wrongType(
      WHERE,
      'schedule',
      'a non-empty array of {epoch, policy} or {step, policy} entries',
      schedule,
      "Example: [{epoch: 0, policy: 'mixed_bfloat16'}, {epoch: 8, policy: 'float32'}].",
    );
  }
  let unit: 'epoch' | 'step' | null = null;
  const starts: number[] = [];
  const policies: PolicyName[] = [];
  schedule.forEach((entry: unknown, i) => {
    const name = `schedule[${i}]`;
    if (entry == null || typeof entry !== 'object' || Array.isArray(entry)) {
      throw wrongType(WHERE, name, 'an object {epoch, policy} or {step, policy}', entry);
    }
    const e = entry as Record<string, unknown>;
    for (const key of Object.keys(e)) {
      if (!['epoch', 'step', 'policy'].includes(key)) {
        throw invalidChoice(WHERE, `key of ${name}`, key, ['epoch', 'policy', 'step']);
      }
    }
    const hasEpoch = e.epoch !== undefined;
    const hasStep = e.step !== undefined;
    if (hasEpoch === hasStep) {
      throw new TypeError(
        `${WHERE}: ${name} must have exactly one of epoch and step; got ${
          hasEpoch ? 'both' : 'neither'
        }. Example: {epoch: 8, policy: 'float32'}.`,
      );
    }
    const entryUnit = hasEpoch ? 'epoch' : 'step';
    if (unit != null && entryUnit !== unit) {
      throw new TypeError(
        `${WHERE}: ${name} is by ${entryUnit} but schedule[0] is by ${unit}; a schedule is ` +
          'either by epoch or by step. Convert the entries to one unit.',
      );
    }
    unit = entryUnit;
    const start = e[entryUnit];
    if (typeof start !== 'number' || !Number.isInteger(start) || start < 0) {
      throw new RangeError(
        `${WHERE}: ${name}.${entryUnit} must be a non-negative integer; got ${describeValue(start)}.`,
      );
    }
    if (!isPolicyName(e.policy)) {
      throw invalidChoice(WHERE, `policy in ${name}`, e.policy, POLICY_NAMES);
    }
    const previous = starts[starts.length - 1];
    if (previous !== undefined && start === previous) {
      throw new RangeError(
        `${WHERE}: schedule[${i - 1}] and ${name} both start at ${entryUnit} ${start} ` +
          `(${policies[policies.length - 1]} and ${e.policy}); entries must not overlap. Keep one.`,
      );
    }
    if (previous !== undefined && start < previous) {
      throw new RangeError(
        `${WHERE}: ${name}.${entryUnit} must be greater than schedule[${i - 1}].${entryUnit} ` +
          `(${previous}); got ${start}. Sort the entries by ${entryUnit}.`,
      );
    }
    starts.push(start);
    policies.push(e.policy);
  });
  return {unit: unit!, starts, policies};
}

/** The callback made by {@link precisionSchedule}. */
export class PrecisionSchedule extends PrecisionSwitcher {
  /** The schedule's unit. */
  readonly unit: 'epoch' | 'step';
  /** The schedule, checked and frozen. */
  readonly schedule: readonly Readonly<ScheduleEntry>[];
  private readonly starts: readonly number[];
  private readonly policies: readonly PolicyName[];
  private next = 0;
  private applied = -1;

  constructor(schedule: readonly ScheduleEntry[], options?: PrecisionScheduleOptions) {
    const checked = checkSchedule(schedule);
    const o = checkOptionKeys(WHERE, options, Object.keys(DEFAULT_PRECISION_SCHEDULE_OPTIONS));
    super(WHERE, switcherOptions(WHERE, o, DEFAULT_PRECISION_SCHEDULE_OPTIONS.log));
    this.unit = checked.unit;
    this.starts = Object.freeze(checked.starts);
    this.policies = Object.freeze(checked.policies);
    this.schedule = Object.freeze(
      checked.starts.map((start, i) =>
        Object.freeze(
          (checked.unit === 'epoch'
            ? {epoch: start, policy: checked.policies[i]!}
            : {step: start, policy: checked.policies[i]!}) as ScheduleEntry,
        ),
      ),
    );
  }

  protected override async beginRun(): Promise<void> {
    this.next = 0;
    this.applied = -1;
  }

  protected override async beginEpoch(epoch: number): Promise<void> {
    if (this.unit !== 'epoch') return;
    this.advance({epoch, batch: 0, step: this.nextStepIndex}, epoch);
  }

  protected override async beginBatch(at: StepPosition): Promise<void> {
    if (this.unit === 'step') this.advance(at, at.step);
  }

  /** Applies the entry in force at `value` if it is not the one applied last. */
  private advance(at: StepPosition, value: number): void {
    while (this.next < this.starts.length && this.starts[this.next]! <= value) this.next++;
    const index = this.next - 1;
    if (index === this.applied || index < 0) return;
    this.applied = index;
    this.switchTo(
      at,
      this.policies[index]!,
      'schedule',
      `schedule[${index}]: ${this.policies[index]} from ${this.unit} ${this.starts[index]}`,
    );
  }
}

/**
 * Switches the compute precision on a fixed schedule during `fit` / `fitDataset`: by epoch
 * (`[{epoch: 0, policy: 'mixed_bfloat16'}, {epoch: 8, policy: 'float32'}]`: bfloat16 early for
 * speed, float32 late for accuracy) or by step. Each entry is applied once, before the first
 * batch of its epoch (or its step) runs; at the start of a `fit` the entry in force is applied
 * (so a resumed `fit` with `initialEpoch` picks up where the schedule is). Before the first entry
 * the model keeps the policy it has. Epochs count as `fit` counts them (from `initialEpoch`);
 * steps from 0 at the start of each `fit` call.
 *
 * A switch goes through `@tfjs-amp/policy` only: `removePolicy`, then `applyPolicy` with the same
 * overrides and keepFloat32 list. Under `mixed_*` and float32 policies no variable is touched:
 * the float32 master weights and the optimizer's slots are bit-identical across it (tested); only
 * the compute changes. Entering a pure policy (`float16`, `bfloat16`) rounds the variables, as
 * `applyPolicy` does.
 *
 * Recorded: every switch in `.switches` (first epoch, batch and step under the new policy, from,
 * to, reason) and in the log; every batch's and epoch's logs get `precision_policy` (the policy
 * the batch ran under, as its index in `POLICY_NAMES`) and epoch logs `precision_switches`
 * (switches made in that epoch), so `history.history` holds both per epoch.
 *
 * With a `LossScaleOptimizer`: it is left alone across switches (scale, counters and skip logic
 * unchanged). Outside float16 it keeps scaling, which is harmless (bfloat16 and float32 have
 * float32's range) and lets the scale keep adapting; entering float16 it resumes from its current
 * scale, and if that scale grew too large the first steps overflow, are skipped (weights and
 * slots untouched) and halve it, as at the start of any run. Entering float16 without one is
 * allowed and logged with a warning.
 *
 * With `precisionFallback`: the fallback wins. A policy it left in this `fit` (it failed) is never
 * entered again by the schedule: the entry is skipped, logged once, and the model stays on the
 * fallback's policy until a later entry names another policy.
 * Neither Keras nor PyTorch switches precision during training by themselves.
 * @throws TypeError for a schedule that is not a non-empty array of entries, an entry with both or
 *   neither of epoch and step, a schedule mixing both units, or an unknown policy; RangeError for
 *   a negative or fractional start, or entries out of order or starting at the same epoch/step.
 *   TypeError at the start of `fit` as `precisionFallback` does for a model it cannot resolve.
 * @example
 * const schedule = precisionSchedule([
 *   {epoch: 0, policy: 'mixed_bfloat16'},
 *   {epoch: 8, policy: 'float32'},
 * ]);
 * await model.fit(xs, ys, {epochs: 10, callbacks: [schedule]});
 * schedule.switches; // [{epoch: 8, batch: 0, step: 1000, from: 'mixed_bfloat16', to: 'float32', ...}]
 */
export function precisionSchedule(
  schedule: readonly ScheduleEntry[],
  options?: PrecisionScheduleOptions,
): PrecisionSchedule {
  return new PrecisionSchedule(schedule, options);
}
