import * as tf from '@tensorflow/tfjs';
import type {CallbackLogs} from './log-value.js';

/** Where a batch sits in a `fit` run: epoch, batch within the epoch, and global step. */
export interface StepPosition {
  /** Epoch index as `fit` counts it (starts at `initialEpoch`). */
  epoch: number;
  /** Batch index within the epoch (starts at 0 every epoch). */
  batch: number;
  /** Batches run since `onTrainBegin` of this `fit` call, starting at 0. */
  step: number;
}

/**
 * Base of every tfjs-amp callback: a real `tf.Callback` (so `fit` calls `setModel` and passes
 * tensors in `logs`) that keeps the epoch / batch / step position and checks it was not wrapped
 * as a plain-object callback. Subclasses override the `handle*` hooks.
 */
export abstract class AmpCallback extends tf.Callback {
  /** The factory name used in messages (`terminateOnNaN`). */
  protected readonly where: string;
  private epochIndex = 0;
  private nextStep = 0;
  private current: StepPosition = {epoch: 0, batch: 0, step: 0};

  protected constructor(where: string) {
    super();
    this.where = where;
  }

  /** Epoch being run. */
  protected get epoch(): number {
    return this.epochIndex;
  }

  /** The step the next batch of this `fit` will have (0 before the first batch). */
  protected get nextStepIndex(): number {
    return this.nextStep;
  }

  /** The model being trained; throws when `fit` did not call `setModel` (see {@link checkBound}). */
  protected get trainedModel(): tf.LayersModel {
    if (this.model == null) {
      throw new Error(
        `${this.where}: no model; pass the callback to model.fit() or model.fitDataset().`,
      );
    }
    return this.model;
  }

  override async onTrainBegin(logs?: CallbackLogs): Promise<void> {
    checkBound(this, 'onTrainBegin');
    this.nextStep = 0;
    this.epochIndex = (this.params?.initialEpoch as number | undefined) ?? 0;
    this.current = {epoch: this.epochIndex, batch: 0, step: 0};
    await this.handleTrainBegin(logs);
  }

  override async onEpochBegin(epoch: number, logs?: CallbackLogs): Promise<void> {
    checkBound(this, 'onEpochBegin');
    this.epochIndex = epoch;
    await this.handleEpochBegin(epoch, logs);
  }

  override async onBatchBegin(batch: number, logs?: CallbackLogs): Promise<void> {
    checkBound(this, 'onBatchBegin');
    this.current = {epoch: this.epochIndex, batch, step: this.nextStep++};
    await this.handleBatchBegin(this.current, logs);
  }

  override async onBatchEnd(_batch: number, logs?: CallbackLogs): Promise<void> {
    checkBound(this, 'onBatchEnd');
    await this.handleBatchEnd(this.current, logs);
  }

  override async onEpochEnd(epoch: number, logs?: CallbackLogs): Promise<void> {
    checkBound(this, 'onEpochEnd');
    await this.handleEpochEnd(epoch, logs);
  }

  override async onTrainEnd(logs?: CallbackLogs): Promise<void> {
    checkBound(this, 'onTrainEnd');
    await this.handleTrainEnd(logs);
  }

  protected async handleTrainBegin(_logs?: CallbackLogs): Promise<void> {}
  protected async handleEpochBegin(_epoch: number, _logs?: CallbackLogs): Promise<void> {}
  protected async handleBatchBegin(_at: StepPosition, _logs?: CallbackLogs): Promise<void> {}
  protected async handleBatchEnd(_at: StepPosition, _logs?: CallbackLogs): Promise<void> {}
  protected async handleEpochEnd(_epoch: number, _logs?: CallbackLogs): Promise<void> {}
  protected async handleTrainEnd(_logs?: CallbackLogs): Promise<void> {}
}

/**
 * tfjs wraps every entry of `callbacks` in a `CustomCallback` when the first entry is a plain
 * object; our methods then run with the wrapper as `this` and without a model. Say so clearly.
 */
function checkBound(self: unknown, method: string): void {
  if (self instanceof AmpCallback) return;
  throw new TypeError(
    `tfjs-amp callback: ${method}() was called on a ${
      (self as object | undefined)?.constructor?.name ?? String(self)
    }, not on the callback. tf.LayersModel.fit wraps every entry of \`callbacks\` as a plain ` +
      'object when the first entry is a plain object. Pass combineCallbacks([...]) instead, or wrap ' +
      'each plain object in new tf.CustomCallback({...}).',
  );
}
