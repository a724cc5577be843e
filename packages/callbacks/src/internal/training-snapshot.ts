import * as tf from '@tensorflow/tfjs';
import {
  type OptimizerStateProtocol,
  type OptimizerVariableRef,
  optimizerTree,
  optimizerVariables,
  stateProtocolOf,
} from './optimizer-state.js';
import {shareData, snapshotWeights} from './weight-snapshot.js';

/** The model's weights and its optimizer's state variables at the start of one step. */
export interface TrainingSnapshot {
  readonly step: number;
  readonly weights: tf.Tensor[];
  /** Optimizer variables as they were (shared data, no copy). */
  readonly optimizer: Map<tf.Variable, tf.Tensor>;
  /** Length of each slot array then (slots are created lazily on the first applied step). */
  readonly slotLengths: Map<unknown[], number>;
  /** Whether the optimizer's state was taken (and is restored). */
  readonly withOptimizer: boolean;
  /**
   * State captured by optimizers that offer the `OPTIMIZER_STATE` protocol (a fused optimizer's
   * TensorFlow slots), by optimizer; their variables (and those of what they wrap) are not in
   * {@link optimizer}.
   */
  readonly captured: Map<object, {protocol: OptimizerStateProtocol; state: unknown}>;
}

/**
 * Captures the state of each optimizer of the tree that offers the protocol and has state of its
 * own now (outermost first; what a capturing optimizer wraps is its own state).
 */
function captureStates(optimizer: unknown): TrainingSnapshot['captured'] {
  const captured: TrainingSnapshot['captured'] = new Map();
  const covered = new Set<object>();
  try {
    for (const o of optimizerTree(optimizer)) {
      if (covered.has(o)) continue;
      const protocol = stateProtocolOf(o);
      if (protocol == null) continue;
      const state = protocol.capture();
      if (state == null) continue;
      captured.set(o, {protocol, state});
      for (const wrapped of optimizerTree(o)) covered.add(wrapped);
    }
  } catch (err) {
    disposeCaptures(captured);
    throw err;
  }
  return captured;
}

function disposeCaptures(captured: TrainingSnapshot['captured']): void {
  for (const {protocol, state} of captured.values()) protocol.dispose(state);
}

/**
 * Takes a {@link TrainingSnapshot} of `model` (shares data: no copy until training replaces it).
 * With `withOptimizer` false only the weights are taken (the optimizer part stays empty, and
 * restoring leaves the optimizer alone): for a LossScaleOptimizer, which skips every step whose
 * gradients are not finite, so such a step never touches its slots.
 *
 * An optimizer (or an optimizer it wraps) that offers `@tfjs-amp/optimizers`' `OPTIMIZER_STATE`
 * protocol (`fuseOptimizer(...)`, whose slots live in TensorFlow on tfjs-node) captures its own
 * state, step counters and `iterations` included, without a read back; the tfjs variables of the
 * rest are shared as before.
 */
export function takeSnapshot(
  model: tf.LayersModel,
  step: number,
  withOptimizer = true,
): TrainingSnapshot {
  const root = withOptimizer ? (model as {optimizer?: unknown}).optimizer : null;
  const captured = captureStates(root);
  const refs = withOptimizer ? optimizerVariables(root, new Set(captured.keys())) : [];
  const optimizer = new Map<tf.Variable, tf.Tensor>();
  const slotLengths = new Map<unknown[], number>();
  for (const ref of refs) {
    optimizer.set(ref.variable, shareData(ref.variable));
    if (ref.array != null) slotLengths.set(ref.array, ref.array.length);
  }
  return {step, weights: snapshotWeights(model), optimizer, slotLengths, withOptimizer, captured};
}

/** Frees a snapshot's tensors (and the optimizer states it captured). */
export function disposeSnapshot(snapshot: TrainingSnapshot | null): void {
  if (snapshot == null) return;
  tf.dispose(snapshot.weights);
  tf.dispose([...snapshot.optimizer.values()]);
  disposeCaptures(snapshot.captured);
}

/** Whether every float value of the snapshot is finite (one device read). */
export async function isSnapshotFinite(snapshot: TrainingSnapshot): Promise<boolean> {
  const captured = [...snapshot.captured.values()].flatMap(({protocol, state}) => [
    ...protocol.values(state),
  ]);
  const all = [...snapshot.weights, ...snapshot.optimizer.values(), ...captured].filter(
    (t) => t.dtype === 'float32',
  );
  if (all.length === 0) return true;
  const ok = tf.tidy(() => tf.stack(all.map((t) => tf.all(tf.isFinite(t)))).all());
  const value = (await ok.data())[0];
  ok.dispose();
  return value === 1;
}

/**
 * Puts the snapshot back: the model's weights, and every optimizer variable that existed then.
 * Slot entries created since (the optimizer's first applied step came after the snapshot) are
 * disposed and cut off the end of their array, so the optimizer creates them afresh, with its
 * own initial value, on its next applied step, exactly as if the steps since had not run. An
 * entry created since that is not at the end of its array is zeroed instead (tfjs's optimizers
 * never make one). An optimizer that captured its own state (`OPTIMIZER_STATE`) restores it
 * itself, bit for bit, `iterations` included; the snapshot stays valid (it may be restored again).
 */
export function restoreSnapshot(model: tf.LayersModel, snapshot: TrainingSnapshot): void {
  model.setWeights(snapshot.weights);
  if (!snapshot.withOptimizer) return;
  for (const {protocol, state} of snapshot.captured.values()) protocol.restore(state);
  const refs: OptimizerVariableRef[] = optimizerVariables(
    (model as {optimizer?: unknown}).optimizer,
    new Set(snapshot.captured.keys()),
  );
  const cut = new Map<unknown[], number>();
  for (const ref of refs) {
    const old = snapshot.optimizer.get(ref.variable);
    if (old != null) {
      ref.variable.assign(old);
      continue;
    }
    const length = ref.array == null ? -1 : (snapshot.slotLengths.get(ref.array) ?? 0);
    if (ref.array != null && ref.index >= length) {
      cut.set(ref.array, length);
    } else {
      tf.tidy(() => ref.variable.assign(tf.zerosLike(ref.variable)));
    }
  }
  for (const [array, length] of cut) {
    const removed = array.splice(length);
    for (const entry of removed) (entry as {variable: tf.Variable}).variable.dispose();
  }
}
