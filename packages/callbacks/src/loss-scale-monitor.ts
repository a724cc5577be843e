import {AmpCallback, type StepPosition} from './internal/amp-callback.js';
import {checkOptionKeys, positiveInteger, wrongType} from './internal/errors.js';
import type {CallbackLogs} from './internal/log-value.js';
import {
  type LossScaleState,
  lossScaleStateOf,
  minScaleOf,
  readLossScaleState,
} from './internal/loss-scale-state.js';

/** Options of {@link lossScaleMonitor}. */
export interface LossScaleMonitorOptions {
  /**
   * Warn when this many consecutive steps ran at the optimizer's `minScale`. Default 100: a
   * healthy run leaves the minimum within `growthInterval` clean steps (PyTorch and Keras have
   * no floor, so there the scale silently keeps halving instead).
   */
  minScaleWarnSteps?: number;
  /** Where the warning goes; `null` for none. Default `console.warn`. */
  log?: ((message: string) => void) | null;
}

/** Defaults of {@link LossScaleMonitorOptions}. */
export const DEFAULT_LOSS_SCALE_MONITOR_OPTIONS: Readonly<Required<LossScaleMonitorOptions>> =
  Object.freeze({
    minScaleWarnSteps: 100,
    log: (message: string) => console.warn(message),
  });

/** A warning {@link lossScaleMonitor} gave: the scale sat at its minimum for a run of steps. */
export interface MinScaleWarning {
  /** Step at which the warning was given (the run's last step so far). */
  step: number;
  epoch: number;
  batch: number;
  /** First step of the run at the minimum. */
  sinceStep: number;
  /** The minimum scale. */
  minScale: number;
  /** Steps skipped (gradients not finite) during the run. */
  skipped: number;
}

/** What {@link LossScaleMonitor.toJSON} exports: the history of one `fit` call. */
export interface LossScaleHistory {
  /** `lossScale[i]` is the scale step `i` (counted from the start of `fit`) ran with. */
  lossScale: number[];
  /** Steps that were skipped because their gradients overflowed, ascending. */
  overflowSteps: number[];
  /** Skipped steps per epoch, in epoch order. */
  skippedPerEpoch: number[];
  /** Warnings given, in order. */
  minScaleWarnings: MinScaleWarning[];
}

/** The callback made by {@link lossScaleMonitor}. */
export class LossScaleMonitor extends AmpCallback {
  private readonly warnSteps: number;
  private readonly log: ((message: string) => void) | null;
  private state: LossScaleState | null = null;
  private minScale = 1;
  private scaleBefore = 0;
  private skippedBefore = 0;
  private skippedThisEpoch = 0;
  private streakStart = -1;
  private streakSkipped = 0;
  private warned = false;
  private readonly record: LossScaleHistory = {
    lossScale: [],
    overflowSteps: [],
    skippedPerEpoch: [],
    minScaleWarnings: [],
  };

  constructor(options?: LossScaleMonitorOptions) {
    super('lossScaleMonitor');
    const o = checkOptionKeys(this.where, options, Object.keys(DEFAULT_LOSS_SCALE_MONITOR_OPTIONS));
    const d = DEFAULT_LOSS_SCALE_MONITOR_OPTIONS;
    this.warnSteps = positiveInteger(
      this.where,
      'minScaleWarnSteps',
      o.minScaleWarnSteps,
      d.minScaleWarnSteps,
    );
    if (o.log !== undefined && o.log !== null && typeof o.log !== 'function') {
      throw wrongType(this.where, 'log', 'a function or null', o.log);
    }
    this.log = o.log === undefined ? d.log : (o.log as ((m: string) => void) | null);
  }

  /** The history of the current (or latest) `fit` call. */
  get history(): Readonly<LossScaleHistory> {
    return this.record;
  }

  /** The history as plain JSON (`JSON.stringify(monitor)` works too). */
  toJSON(): LossScaleHistory {
    return structuredClone(this.record);
  }

  protected override async handleTrainBegin(): Promise<void> {
    const model = this.trainedModel;
    const state = lossScaleStateOf(model);
    if (state == null) {
      throw wrongType(
        this.where,
        'model.optimizer',
        'a LossScaleOptimizer (from @tfjs-amp/loss-scale)',
        (model as {optimizer?: unknown}).optimizer,
        'Compile with {optimizer: new LossScaleOptimizer(tf.train.adam(1e-3))}.',
      );
    }
    this.state = state;
    this.minScale = minScaleOf(state);
    this.record.lossScale = [];
    this.record.overflowSteps = [];
    this.record.skippedPerEpoch = [];
    this.record.minScaleWarnings = [];
    this.streakStart = -1;
    this.streakSkipped = 0;
    this.warned = false;
  }

  protected override async handleEpochBegin(): Promise<void> {
    this.skippedThisEpoch = 0;
  }

  protected override async handleBatchBegin(): Promise<void> {
    // The state after the previous step, read at its batch end: no new device read here.
    const state = await readLossScaleState(this.state!);
    this.scaleBefore = state.lossScale;
    this.skippedBefore = state.skippedSteps;
  }

  protected override async handleBatchEnd(at: StepPosition, logs?: CallbackLogs): Promise<void> {
    const state = await readLossScaleState(this.state!);
    const skipped = state.skippedSteps > this.skippedBefore;
    this.record.lossScale[at.step] = this.scaleBefore;
    if (skipped) {
      this.record.overflowSteps.push(at.step);
      this.skippedThisEpoch++;
    }
    if (logs != null) {
      logs.loss_scale = state.lossScale;
      logs.skipped_steps = this.skippedThisEpoch;
    }
    this.trackMinimum(at, skipped);
  }

  protected override async handleEpochEnd(_epoch: number, logs?: CallbackLogs): Promise<void> {
    this.record.skippedPerEpoch.push(this.skippedThisEpoch);
    if (logs != null && this.state != null) {
      logs.loss_scale = (await readLossScaleState(this.state)).lossScale;
      logs.skipped_steps = this.skippedThisEpoch;
    }
  }

  private trackMinimum(at: StepPosition, skipped: boolean): void {
    if (this.scaleBefore > this.minScale) {
      this.streakStart = -1;
      this.streakSkipped = 0;
      this.warned = false;
      return;
    }
    if (this.streakStart < 0) this.streakStart = at.step;
    if (skipped) this.streakSkipped++;
    const length = at.step - this.streakStart + 1;
    if (this.warned || length < this.warnSteps) return;
    this.warned = true;
    const warning: MinScaleWarning = {
      ...at,
      sinceStep: this.streakStart,
      minScale: this.minScale,
      skipped: this.streakSkipped,
    };
    this.record.minScaleWarnings.push(warning);
    this.log?.(
      `lossScaleMonitor: the loss scale has sat at its minimum (${this.minScale}) for ${length} ` +
        `steps (steps ${warning.sinceStep}-${at.step}, epoch ${at.epoch}, batch ${at.batch}); ` +
        `${warning.skipped} of them were skipped because gradients overflowed even at that scale. ` +
        'Find the layer with numericsMonitor(), or switch precision with precisionFallback().',
    );
  }
}

/**
 * Puts the loss scale in the training logs and keeps its history. Adds `loss_scale` (the scale
 * after the step, what the next one uses) and `skipped_steps` (steps skipped so far in the epoch)
 * to every batch's and epoch's logs as plain numbers, so `history.history.loss_scale` holds the
 * scale at each epoch's end, and callbacks placed after this one (progress bars, loggers) see
 * them. Keeps the scale every step ran with and the steps that overflowed (`toJSON()`), and warns
 * when the scale sits at the optimizer's `minScale` for `minScaleWarnSteps` steps in a row.
 *
 * Reads the optimizer's state with `await optimizer.readState()`, which never blocks: in the
 * optimizer's `'device'` mode one asynchronous read per batch, none in `'sync'` mode. Needs `model.optimizer` to be a
 * `LossScaleOptimizer`. Keras 3 and PyTorch log none of this by themselves.
 * @throws TypeError at the start of `fit` when the optimizer is not a LossScaleOptimizer;
 *   TypeError / RangeError for a bad option.
 * @example
 * const monitor = lossScaleMonitor();
 * const history = await model.fit(xs, ys, {epochs: 5, callbacks: [monitor]});
 * history.history.loss_scale; // [32768, 65536, ...]
 */
export function lossScaleMonitor(options?: LossScaleMonitorOptions): LossScaleMonitor {
  return new LossScaleMonitor(options);
}
