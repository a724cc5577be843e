import type * as tf from '@tensorflow/tfjs';
import {AmpCallback, type StepPosition} from './internal/amp-callback.js';
import {booleanOption, checkOptionKeys, functionOption} from './internal/errors.js';
import {type CallbackLogs, readLogValue} from './internal/log-value.js';
import {lossScaleStateOf} from './internal/loss-scale-state.js';
import {
  disposeSnapshot,
  isSnapshotFinite,
  restoreSnapshot,
  type TrainingSnapshot,
  takeSnapshot,
} from './internal/training-snapshot.js';

/** Options of {@link terminateOnNaN}. */
export interface TerminateOnNaNOptions {
  /**
   * Also make `fit()` / `fitDataset()` reject with a {@link NonFiniteLossError}. Default `false`:
   * training stops and `fit()` resolves with the History up to that batch, as in Keras.
   * The rejection comes once every callback ran `onEpochEnd` and `onTrainEnd`, after the History
   * is settled, so no tensor of the run is leaked.
   */
  raiseError?: boolean;
  /**
   * On stopping, put back the last finite state: the weights and the optimizer's state variables
   * (Adam's moments, ...) the failing step started from, or, when those were already non-finite,
   * those of the step before. Default `false`, as Keras (the weights stay as the failing step left
   * them, often NaN). Costs a snapshot per step that shares the data (no copy).
   */
  restoreWeights?: boolean;
  /** Where the stop message goes. Default `console.warn`. */
  log?: (message: string) => void;
}

/** Defaults of {@link TerminateOnNaNOptions}. */
export const DEFAULT_TERMINATE_ON_NAN_OPTIONS: Readonly<Required<TerminateOnNaNOptions>> =
  Object.freeze({
    raiseError: false,
    restoreWeights: false,
    log: (message: string) => console.warn(message),
  });

/** Where training met a non-finite loss. */
export interface NonFiniteLossEvent {
  /** Epoch index, as `fit` counts it. */
  epoch: number;
  /** Batch index within the epoch. */
  batch: number;
  /** Batches run since the start of this `fit` call (0-based). */
  step: number;
  /** The loss value: `NaN`, `Infinity` or `-Infinity`. */
  loss: number;
  /**
   * With `restoreWeights`: the step whose starting weights and optimizer state were put back, or
   * `null` when no finite snapshot was left. Absent without `restoreWeights`.
   */
  restoredFromStep?: number | null;
}

/** Thrown (through `fit()`) by {@link terminateOnNaN} with `raiseError: true`. */
export class NonFiniteLossError extends Error {
  /** Where the loss became non-finite. */
  readonly event: NonFiniteLossEvent;

  constructor(event: NonFiniteLossEvent) {
    super(nonFiniteMessage(event));
    this.name = 'NonFiniteLossError';
    this.event = event;
  }
}

/** The callback made by {@link terminateOnNaN}. */
export class TerminateOnNaN extends AmpCallback {
  /** Where the current (or latest) run stopped; `null` while the loss stayed finite. */
  stoppedAt: NonFiniteLossEvent | null = null;
  private readonly raiseError: boolean;
  private readonly restoreWeights: boolean;
  private readonly log: (message: string) => void;
  private errorArmed = false;
  private pending: TrainingSnapshot | null = null;
  private lastGood: TrainingSnapshot | null = null;

  constructor(options?: TerminateOnNaNOptions) {
    super('terminateOnNaN');
    const o = checkOptionKeys(this.where, options, Object.keys(DEFAULT_TERMINATE_ON_NAN_OPTIONS));
    const d = DEFAULT_TERMINATE_ON_NAN_OPTIONS;
    this.raiseError = booleanOption(this.where, 'raiseError', o.raiseError, d.raiseError);
    this.restoreWeights = booleanOption(
      this.where,
      'restoreWeights',
      o.restoreWeights,
      d.restoreWeights,
    );
    this.log = functionOption(this.where, 'log', o.log, d.log);
  }

  protected override async handleTrainBegin(): Promise<void> {
    this.stoppedAt = null;
    this.errorArmed = false;
    this.dropSnapshots();
  }

  protected override async handleBatchBegin(at: StepPosition): Promise<void> {
    if (!this.restoreWeights || this.stoppedAt != null) return;
    disposeSnapshot(this.pending);
    // A LossScaleOptimizer skips every non-finite step, leaving its slots untouched: weights only.
    const model = this.trainedModel;
    this.pending = takeSnapshot(model, at.step, lossScaleStateOf(model) == null);
  }

  protected override async handleBatchEnd(at: StepPosition, logs?: CallbackLogs): Promise<void> {
    if (this.stoppedAt != null) return;
    const loss = await readLogValue(logs, 'loss');
    if (loss === undefined || Number.isFinite(loss)) {
      if (this.pending != null) {
        disposeSnapshot(this.lastGood);
        this.lastGood = this.pending;
        this.pending = null;
      }
      return;
    }
    const event: NonFiniteLossEvent = {...at, loss};
    const model = this.trainedModel;
    if (this.restoreWeights) event.restoredFromStep = await this.restoreFinite(model);
    this.stoppedAt = event;
    model.stopTraining = true;
    this.log(nonFiniteMessage(event));
    if (this.raiseError) this.armError(model, event);
  }

  protected override async handleTrainEnd(): Promise<void> {
    this.dropSnapshots();
    // Without a History to hook (a hand-written loop driving the callbacks), throw here.
    if (this.raiseError && this.stoppedAt != null && !this.errorArmed) {
      throw new NonFiniteLossError(this.stoppedAt);
    }
  }

  /** Puts back the first finite snapshot (this step's start, else the step before's). */
  private async restoreFinite(model: tf.LayersModel): Promise<number | null> {
    for (const snapshot of [this.pending, this.lastGood]) {
      if (snapshot == null || !(await isSnapshotFinite(snapshot))) continue;
      restoreSnapshot(model, snapshot);
      return snapshot.step;
    }
    return null;
  }

  private dropSnapshots(): void {
    disposeSnapshot(this.pending);
    disposeSnapshot(this.lastGood);
    this.pending = null;
    this.lastGood = null;
  }

  /**
   * `fit` and `fitDataset` end with `onTrainEnd` for every callback, then `history.syncData()`,
   * then return. Rejecting from this run's `syncData` (after it settled the History) makes `fit()`
   * reject without skipping any callback's `onTrainEnd` and without leaking the History's tensors.
   */
  private armError(model: {history?: unknown}, event: NonFiniteLossEvent): void {
    const history = model.history as {syncData?: () => Promise<void>} | undefined;
    if (history == null || typeof history.syncData !== 'function') return;
    const syncData = history.syncData;
    const wasOwn = Object.hasOwn(history, 'syncData');
    history.syncData = async () => {
      if (wasOwn) history.syncData = syncData;
      else delete history.syncData; // back to the prototype method
      await syncData.call(history);
      throw new NonFiniteLossError(event);
    };
    this.errorArmed = true;
  }
}

function nonFiniteMessage(e: NonFiniteLossEvent): string {
  const head =
    `terminateOnNaN: loss is ${e.loss} at epoch ${e.epoch}, batch ${e.batch} (step ${e.step}); ` +
    'training stopped';
  if (e.restoredFromStep === undefined) return `${head}.`;
  if (e.restoredFromStep === null) {
    return `${head}; no finite weights were left to restore, the weights may hold NaN.`;
  }
  return `${head} and the weights (and optimizer state, unless a LossScaleOptimizer skipped the step) of step ${e.restoredFromStep} restored.`;
}

/**
 * Stops training at the first batch whose loss is NaN or ±Infinity, naming the epoch and batch.
 * tfjs has no such callback; this matches Keras 3's `TerminateOnNaN` (stop after the batch, then
 * run `onEpochEnd` / `onTrainEnd` as usual). Reads the batch loss each batch (one scalar read when
 * `logs.loss` is a tensor; free when an earlier callback already resolved it). Like Keras, it
 * leaves the weights as the failing step made them (often NaN); with `restoreWeights: true` it
 * puts back the last finite weights and optimizer state (those the failing step started from, or
 * the step before's when those were already non-finite), so the model can be saved or trained on.
 * @throws TypeError / RangeError for an unknown option or a bad option value.
 * @example
 * await model.fit(xs, ys, {epochs: 5, callbacks: [terminateOnNaN({raiseError: true})]});
 */
export function terminateOnNaN(options?: TerminateOnNaNOptions): TerminateOnNaN {
  return new TerminateOnNaN(options);
}
