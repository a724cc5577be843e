import type * as tf from '@tensorflow/tfjs';

/**
 * The part of `LossScaleOptimizer` (from `@tfjs-amp/loss-scale`) the callbacks read: its state
 * as plain JS numbers, updated synchronously by each `minimize()` call. Read by duck typing, so a
 * wrapped or re-exported optimizer works, and reading it costs no device sync.
 */
export interface LossScaleState {
  /** Scale the next step multiplies the loss by. */
  readonly lossScale: number;
  /** Steps skipped (gradients not finite) since the optimizer was created. */
  readonly skippedSteps: number;
  /** Whether the latest step was skipped. */
  readonly lastStepSkipped: boolean;
  /** Consecutive clean steps since the scale last changed. */
  readonly goodSteps?: number;
  /** Steps whose gradients overflowed. */
  readonly overflowCount?: number;
  /** Applied (not skipped) steps. */
  readonly iterations?: number;
}

/** Whether `optimizer` exposes the {@link LossScaleState} fields. */
export function isLossScaleState(optimizer: unknown): optimizer is LossScaleState {
  if (optimizer == null || typeof optimizer !== 'object') return false;
  const o = optimizer as Record<string, unknown>;
  return typeof o.lossScale === 'number' && typeof o.skippedSteps === 'number';
}

/** The model's optimizer as {@link LossScaleState}, or `null` when it is not a loss-scale optimizer. */
export function lossScaleStateOf(model: tf.LayersModel | null | undefined): LossScaleState | null {
  const optimizer = (model as {optimizer?: unknown} | null | undefined)?.optimizer;
  return isLossScaleState(optimizer) ? optimizer : null;
}

/**
 * The optimizer's `minScale` option, looked up where `LossScaleOptimizer` may keep it
 * (`minScale`, `options.minScale`, `getConfig().minScale`); 1 (the documented default) otherwise.
 */
export function minScaleOf(state: LossScaleState): number {
  const o = state as unknown as Record<string, unknown>;
  const candidates: unknown[] = [
    o.minScale,
    (o.options as Record<string, unknown> | undefined)?.minScale,
  ];
  if (typeof o.getConfig === 'function') {
    try {
      candidates.push((o.getConfig as () => Record<string, unknown>)().minScale);
    } catch {
      // getConfig may need serialization state; fall through to the default.
    }
  }
  for (const c of candidates) if (typeof c === 'number' && c > 0) return c;
  return 1;
}
