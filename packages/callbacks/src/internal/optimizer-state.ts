import * as tf from '@tensorflow/tfjs';

/** Where one optimizer variable lives: a field, or an entry of a slot array (`{variable}`). */
export interface OptimizerVariableRef {
  readonly variable: tf.Variable;
  /** The slot array holding it (tfjs optimizers keep `{originalName, variable}` entries). */
  readonly array: unknown[] | null;
  /** Index in `array`. */
  readonly index: number;
}

/**
 * Every `tf.Variable` an optimizer keeps as state: fields holding a variable (Adam's `accBeta1`)
 * and entries of slot arrays (`accumulatedFirstMoment[i].variable`); a wrapped optimizer
 * (`LossScaleOptimizer.innerOptimizer`, any field holding a `tf.Optimizer`) is searched too.
 * tfjs's optimizers create slot entries lazily, in variable order, on their first
 * `applyGradients`.
 */
export function optimizerVariables(optimizer: unknown): OptimizerVariableRef[] {
  const found: OptimizerVariableRef[] = [];
  const seen = new Set<unknown>();
  const walk = (o: unknown): void => {
    if (o == null || typeof o !== 'object' || seen.has(o)) return;
    seen.add(o);
    for (const value of Object.values(o as Record<string, unknown>)) {
      // tf.Optimizer's instanceof check reads fields of the value: objects only.
      if (value == null || typeof value !== 'object') continue;
      if (value instanceof tf.Variable) {
        found.push({variable: value, array: null, index: -1});
      } else if (value instanceof tf.Optimizer) {
        walk(value);
      } else if (Array.isArray(value)) {
        value.forEach((entry, index) => {
          const v = (entry as {variable?: unknown} | null | undefined)?.variable;
          if (v instanceof tf.Variable) found.push({variable: v, array: value, index});
        });
      }
    }
  };
  walk(optimizer);
  return found;
}
