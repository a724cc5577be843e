import type * as tf from '@tensorflow/tfjs';
import type {LossScaleState as OptimizerState} from '@tfjs-amp/loss-scale';

/**
 * The part of `LossScaleOptimizer`'s state the callbacks read: the fields of `LossScaleState`,
 * the type `@tfjs-amp/loss-scale` exports (same names, same meanings: `overflowCount` is the
 * consecutive skipped steps, `iterations` every step taken, skipped ones included). Found by
 * shape, so a wrapped or re-exported optimizer works; the first three are required, the others
 * are read when present. The callbacks read them through {@link readLossScaleState}, never the
 * getters directly: in `'device'` mode the getters block on a device read.
 */
export type LossScaleState = Pick<
  OptimizerState,
  'lossScale' | 'skippedSteps' | 'lastStepSkipped'
> &
  Partial<Pick<OptimizerState, 'goodSteps' | 'overflowCount' | 'iterations'>>;

/** An optimizer with `readState()` (LossScaleOptimizer): the whole state without blocking. */
interface ReadsState {
  readState(): Promise<LossScaleState>;
}

function hasReadState(optimizer: object): optimizer is ReadsState {
  return typeof (optimizer as {readState?: unknown}).readState === 'function';
}

/**
 * Whether `optimizer` exposes the {@link LossScaleState} fields. An optimizer with `readState()`
 * is recognised by the fields' presence, without calling its getters (which would block on a
 * device read in `'device'` mode); one with getters only, by their values.
 */
export function isLossScaleState(optimizer: unknown): optimizer is LossScaleState {
  if (optimizer == null || typeof optimizer !== 'object') return false;
  if (hasReadState(optimizer) && 'lossScale' in optimizer && 'skippedSteps' in optimizer) {
    return true;
  }
  const o = optimizer as Record<string, unknown>;
  return typeof o.lossScale === 'number' && typeof o.skippedSteps === 'number';
}

/**
 * The state's numbers now, for one hook: `await state.readState()` where the optimizer has it
 * (free in `'sync'` mode; in `'device'` mode one asynchronous read when a step ran since the last
 * one, shared by every callback of the same hook, and none otherwise), else `state` itself, read
 * through its getters as they are used (an optimizer with getters only, which cost nothing).
 * `model.fit` awaits the hooks, so no step runs during the read and the numbers are those after
 * the latest step.
 */
export async function readLossScaleState(state: LossScaleState): Promise<LossScaleState> {
  if (!hasReadState(state)) return state;
  const read = await state.readState();
  return read != null && typeof read.lossScale === 'number' ? read : state;
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
