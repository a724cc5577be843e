import * as tf from '@tensorflow/tfjs';

/** Where one optimizer variable lives: a field, or an entry of a slot array (`{variable}`). */
export interface OptimizerVariableRef {
  readonly variable: tf.Variable;
  /** The slot array holding it (tfjs optimizers keep `{originalName, variable}` entries). */
  readonly array: unknown[] | null;
  /** Index in `array`. */
  readonly index: number;
}

/** A walk's result and what it read, to tell whether it still holds. */
interface Walk {
  readonly refs: OptimizerVariableRef[];
  /** Every field read that held a variable, an array or an optimizer: [object, key, value]. */
  readonly fields: Array<[Record<string, unknown>, string, unknown]>;
  /** Each slot array's length then. */
  readonly lengths: Array<[unknown[], number]>;
}

const WALKS = new WeakMap<object, Walk>();

function stillHolds(walk: Walk): boolean {
  for (const [o, key, value] of walk.fields) if (o[key] !== value) return false;
  for (const [array, length] of walk.lengths) if (array.length !== length) return false;
  for (const ref of walk.refs) if (ref.variable.isDisposed) return false;
  return true;
}

function walkOptimizer(optimizer: object): Walk {
  const refs: OptimizerVariableRef[] = [];
  const fields: Walk['fields'] = [];
  const lengths: Walk['lengths'] = [];
  const seen = new Set<unknown>();
  const walk = (o: Record<string, unknown>): void => {
    if (seen.has(o)) return;
    seen.add(o);
    for (const [key, value] of Object.entries(o)) {
      // tf.Optimizer's instanceof check reads fields of the value: objects only.
      if (value == null || typeof value !== 'object') continue;
      if (value instanceof tf.Variable) {
        fields.push([o, key, value]);
        refs.push({variable: value, array: null, index: -1});
      } else if (value instanceof tf.Optimizer) {
        fields.push([o, key, value]);
        walk(value as unknown as Record<string, unknown>);
      } else if (Array.isArray(value)) {
        let slots = false;
        value.forEach((entry, index) => {
          const v = (entry as {variable?: unknown} | null | undefined)?.variable;
          if (v instanceof tf.Variable) {
            slots = true;
            refs.push({variable: v, array: value, index});
          }
        });
        // Empty arrays may become slot arrays on the first applied step: watch them too.
        if (slots || value.length === 0) {
          fields.push([o, key, value]);
          lengths.push([value, value.length]);
        }
      }
    }
  };
  walk(optimizer as Record<string, unknown>);
  return {refs, fields, lengths};
}

/**
 * Every `tf.Variable` an optimizer keeps as state: fields holding a variable (Adam's `accBeta1`)
 * and entries of slot arrays (`accumulatedFirstMoment[i].variable`); a wrapped optimizer
 * (`LossScaleOptimizer.innerOptimizer`, any field holding a `tf.Optimizer`) is searched too.
 * tfjs's optimizers create slot entries lazily, in variable order, on their first
 * `applyGradients`. The walk is cached per optimizer and redone when a field it read changed, a
 * slot array changed length or a variable was disposed (as `setWeights` and new slots do).
 */
export function optimizerVariables(optimizer: unknown): OptimizerVariableRef[] {
  if (optimizer == null || typeof optimizer !== 'object') return [];
  let walk = WALKS.get(optimizer);
  if (walk == null || !stillHolds(walk)) {
    walk = walkOptimizer(optimizer);
    WALKS.set(optimizer, walk);
  }
  return walk.refs;
}
