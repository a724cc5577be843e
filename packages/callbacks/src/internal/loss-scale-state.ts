import type * as tf from '@tensorflow/tfjs';
import type {LossScaleState as OptimizerState} from '@tfjs-amp/loss-scale';

/**
 * The part of `LossScaleOptimizer`'s state the callbacks read: the fields of `LossScaleState`,
 * the type `@tfjs-amp/loss-scale` exports (same names, same meanings: `overflowCount` is the
 * consecutive skipped steps, `iterations` every step taken, skipped ones included). The optimizer
 * keeps them as plain JS numbers, updated by each `minimize()` call, so reading them costs no
 * device sync. Found by shape, so a wrapped or re-exported optimizer works; the first three are
 * required, the others are read when present.
 */
export type LossScaleState = Pick<
  OptimizerState,
  'lossScale' | 'skippedSteps' | 'lastStepSkipped'
> &
  Partial<Pick<OptimizerState, 'goodSteps' | 'overflowCount' | 'iterations'>>;

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
