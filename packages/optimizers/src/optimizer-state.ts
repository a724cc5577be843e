import type {Tensor} from '@tensorflow/tfjs';

/**
 * The well-known key (`Symbol.for('@tfjs-amp/optimizer-state')`) under which an optimizer that
 * keeps state outside tfjs variables (a {@link FusedOptimizer}'s TensorFlow resource variables)
 * offers an {@link OptimizerStateProtocol}. Tools that snapshot training state (the
 * `@tfjs-amp/callbacks` rollbacks) look for it on the optimizer and on every optimizer it wraps,
 * and use it instead of searching the object for `tf.Variable`s. Being registered with
 * `Symbol.for`, it is the same symbol in every copy of every package.
 */
export const OPTIMIZER_STATE: unique symbol = Symbol.for('@tfjs-amp/optimizer-state');

/**
 * Synchronous capture and restore of an optimizer's whole state (slots, step counters,
 * `iterations`), offered under {@link OPTIMIZER_STATE}. `S` is opaque to the caller.
 */
export interface OptimizerStateProtocol<S = unknown> {
  /**
   * The state as it is now, without reading it back to JavaScript (device handles that later
   * steps do not change), or `null` when the optimizer has no state of its own to capture (its
   * state is in the tfjs variables of the optimizer it wraps: search those instead). Free the
   * result with {@link dispose}.
   */
  capture(): S | null;
  /**
   * Puts a captured state back, so that the next step computes exactly what it would have
   * computed right after the capture. The state stays valid (it may be restored again).
   */
  restore(state: S): void;
  /** Frees what `state` holds; later calls do nothing. */
  dispose(state: S): void;
  /** The float tensors `state` holds (for checks such as finiteness); owned by the state. */
  values(state: S): readonly Tensor[];
}
