import * as tf from '@tensorflow/tfjs';
import {wrongType} from './internal/errors.js';

/** What `fit({callbacks})` accepts per entry: a `tf.Callback` (any `BaseCallback`) or a plain object. */
export type CallbackEntry = tf.Callback | tf.CustomCallbackArgs;

/**
 * Makes a `callbacks` array that `fit` and `fitDataset` run correctly in any order.
 * tfjs 4.x only wraps plain-object callbacks when the *first* entry is a plain object, and then
 * wraps every entry, class instances included (they lose their model); when the first entry is a
 * `tf.Callback` it wraps none and a later plain object fails. This wraps each plain object in
 * `new tf.CustomCallback(entry, yieldEvery)`, exactly as `fit` would, and keeps instances as they
 * are, so order is only the order the callbacks run in.
 * @param yieldEvery passed to each wrapper, as `fit`'s own `yieldEvery` would be. Default `'auto'`.
 * @throws TypeError when an entry is neither a callback nor an object.
 * @example
 * await model.fit(xs, ys, {callbacks: combineCallbacks([{onEpochEnd: log}, terminateOnNaN()])});
 */
export function combineCallbacks(
  callbacks: readonly CallbackEntry[],
  yieldEvery?: tf.ModelFitArgs['yieldEvery'],
): Array<tf.Callback | tf.CustomCallback> {
  if (!Array.isArray(callbacks)) {
    throw wrongType('combineCallbacks', 'callbacks', 'an array', callbacks);
  }
  return callbacks.map((entry, i) => {
    if (entry instanceof tf.CustomCallback || entry instanceof tf.Callback) return entry;
    if (isBaseCallback(entry)) return entry as unknown as tf.Callback;
    if (entry == null || typeof entry !== 'object') {
      throw wrongType('combineCallbacks', `callbacks[${i}]`, 'a tf.Callback or an object', entry);
    }
    return new tf.CustomCallback(entry as tf.CustomCallbackArgs, yieldEvery);
  });
}

/** Any `BaseCallback` subclass (tfjs exports `Callback` and `CustomCallback`, not the base). */
function isBaseCallback(entry: unknown): boolean {
  const e = entry as Record<string, unknown> | null;
  return (
    e != null &&
    typeof e === 'object' &&
    typeof e.setParams === 'function' &&
    typeof e.setModel === 'function' &&
    typeof e.onBatchEnd === 'function'
  );
}
