import type {ScaleChange} from './scale-rule.js';

/**
 * What one step did, passed to {@link LossScaleOptimizer.onUpdate} listeners after the step's
 * state is complete. Plain numbers and booleans: reading them never touches the device.
 */
export interface LossScaleEvent {
  /** 0-based index of the step (applied and skipped steps both count). */
  readonly step: number;
  /** The scale this step's loss was multiplied by. */
  readonly stepScale: number;
  /** The scale after the update: what the next step uses. */
  readonly lossScale: number;
  /** How the update changed the scale. */
  readonly scaleChange: ScaleChange;
  /** True when the gradients were not finite and the inner optimizer was not called. */
  readonly skipped: boolean;
  /** Consecutive clean steps since the last overflow or growth. */
  readonly goodSteps: number;
  /** Consecutive skipped steps, this one included; 0 after an applied step. */
  readonly overflowCount: number;
  /** Skipped steps since the optimizer was created (or its weights were loaded). */
  readonly skippedSteps: number;
  /**
   * True when the step overflowed although the scale could not go lower (it was already at
   * `minScale`, or the scale is fixed): lowering the scale cannot help, the gradients are not
   * finite at any scale. Repeated true events mean training is stuck skipping steps.
   */
  readonly stuckAtMinScale: boolean;
  /**
   * Global L2 norm of the unscaled gradients (before norm clipping), when `reportGradNorm` or
   * `globalClipNorm` is set; Inf or NaN on an overflowing step.
   */
  readonly gradNorm?: number;
}

/**
 * The whole state of a LossScaleOptimizer as plain values, from `readState()` (which reads it
 * from the device without blocking in `'device'` mode).
 */
export interface LossScaleState {
  /** Scale the next step multiplies the loss by. */
  readonly lossScale: number;
  /** Consecutive clean steps since the last overflow or growth. */
  readonly goodSteps: number;
  /** Overflows still tolerated before the next back-off. */
  readonly hysteresisLeft: number;
  /** Consecutive skipped steps; 0 after an applied step. */
  readonly overflowCount: number;
  /** Skipped steps in total. */
  readonly skippedSteps: number;
  /** Whether the last step was skipped. */
  readonly lastStepSkipped: boolean;
  /** Steps taken, skipped ones included. */
  readonly iterations: number;
  /** Steps the inner optimizer applied (its `iterations`). */
  readonly appliedSteps: number;
}

/** A listener of {@link LossScaleEvent}s. */
export type LossScaleListener = (event: LossScaleEvent) => void;

/** A small ordered set of listeners; `add` returns the function that removes the listener. */
export class ListenerSet<E> {
  private readonly listeners: ((event: E) => void)[] = [];

  /** Adds `listener`; returns a function that removes it again. */
  add(listener: (event: E) => void): () => void {
    if (typeof listener !== 'function') {
      throw new TypeError(
        `LossScaleOptimizer: onUpdate() needs a function; got ${listener === null ? 'null' : typeof listener}.`,
      );
    }
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** How many listeners are registered. */
  get size(): number {
    return this.listeners.length;
  }

  /** Calls every listener in the order they were added; an exception propagates. */
  emit(event: E): void {
    for (const listener of [...this.listeners]) listener(event);
  }
}
