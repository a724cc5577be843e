import type * as tf from '@tensorflow/tfjs';
import type {FormatName} from '@tfjs-amp/kernels';
import {castTo} from './cast.js';

type LayerVariable = tf.LayerVariable;

/** Variables whose `read()` is rounded right now, with the format; a nested call reuses them. */
const active = new Map<LayerVariable, FormatName>();

const NOTHING_TO_RESTORE = (): void => {};

/**
 * Makes each float32 variable's `read()` return its value rounded to `format` until the returned
 * function is called (always in a `finally`). The rounded tensors are made once, up front, so a
 * layer that reads a weight at every timestep (RNN cells) rounds it once per call; and the
 * straight-through gradient of `quantize` carries the weight's gradient, rounded to `format`,
 * back to the variable. Variables already rounded to `format` by an enclosing call (an RNN and
 * its cell, a wrapper and its layer) are left alone.
 *
 * Never permanent: `model.fit` collects the variables to train through `read()`.
 */
export function roundWeightReads(
  variables: readonly LayerVariable[],
  format: FormatName,
): () => void {
  let installed: Array<{
    variable: LayerVariable;
    previous: PropertyDescriptor | undefined;
    previousFormat: FormatName | undefined;
  }> | null = null;
  for (const variable of variables) {
    if (variable.dtype !== 'float32' || active.get(variable) === format) continue;
    // The master value, whatever an enclosing override returns.
    const master = (Object.getPrototypeOf(variable) as LayerVariable).read.call(variable);
    const rounded = castTo(master, format);
    installed ??= [];
    installed.push({
      variable,
      previous: Object.getOwnPropertyDescriptor(variable, 'read'),
      previousFormat: active.get(variable),
    });
    Object.defineProperty(variable, 'read', {
      value: () => rounded,
      configurable: true,
      writable: true,
      enumerable: false,
    });
    active.set(variable, format);
  }
  if (installed == null) return NOTHING_TO_RESTORE;
  const undo = installed;
  return () => {
    for (let i = undo.length - 1; i >= 0; i--) {
      const {variable, previous, previousFormat} = undo[i]!;
      if (previous == null) delete (variable as {read?: unknown}).read;
      else Object.defineProperty(variable, 'read', previous);
      if (previousFormat == null) active.delete(variable);
      else active.set(variable, previousFormat);
    }
  };
}
