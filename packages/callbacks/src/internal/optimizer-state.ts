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
 * The well-known key of `@tfjs-amp/optimizers`' `OptimizerStateProtocol` (declared here by its
 * `Symbol.for` name, so this package needs none of that package's internals): an optimizer that
 * keeps state outside tfjs variables (`fuseOptimizer(adam)`'s TensorFlow resource variables)
 * captures and restores it itself.
 */
export const OPTIMIZER_STATE: unique symbol = Symbol.for('@tfjs-amp/optimizer-state');

/** What an optimizer offers under {@link OPTIMIZER_STATE} (see `@tfjs-amp/optimizers`). */
export interface OptimizerStateProtocol {
  /** The state now (device handles, no read back), or null: search its tfjs variables instead. */
  capture(): unknown;
  /** Puts a captured state back (it stays valid). */
  restore(state: unknown): void;
  /** Frees a captured state. */
  dispose(state: unknown): void;
  /** The float tensors a captured state holds, owned by it. */
  values(state: unknown): readonly tf.Tensor[];
}

/** The protocol `o` offers under {@link OPTIMIZER_STATE}, or null. */
export function stateProtocolOf(o: unknown): OptimizerStateProtocol | null {
  if (o == null || typeof o !== 'object') return null;
  const p = (o as Record<symbol, unknown>)[OPTIMIZER_STATE] as
    | Partial<OptimizerStateProtocol>
    | null
    | undefined;
  if (p == null || typeof p !== 'object') return null;
  const ok = (['capture', 'restore', 'dispose', 'values'] as const).every(
    (m) => typeof p[m] === 'function',
  );
  return ok ? (p as OptimizerStateProtocol) : null;
}

/**
 * The optimizer and every optimizer it wraps (fields holding a `tf.Optimizer`, recursively), each
 * once, outermost first.
 */
export function optimizerTree(optimizer: unknown): object[] {
  const out: object[] = [];
  const visit = (o: unknown): void => {
    if (o == null || typeof o !== 'object' || out.includes(o)) return;
    out.push(o);
    for (const value of Object.values(o)) {
      // tf.Optimizer's instanceof check reads fields of the value: objects only.
      if (value != null && typeof value === 'object' && value instanceof tf.Optimizer) visit(value);
    }
  };
  visit(optimizer);
  return out;
}

/** A walk's result and what it read, to tell whether it still holds. */
interface Walk {
  readonly refs: OptimizerVariableRef[];
  /** Every field read that held a variable, an array or an optimizer: [object, key, value]. */
  readonly fields: Array<[Record<string, unknown>, string, unknown]>;
  /** Each slot array's length then. */
  readonly lengths: Array<[unknown[], number]>;
  /** The optimizers whose state was left out (they capture it themselves). */
  readonly skipped: ReadonlySet<object>;
}

const WALKS = new WeakMap<object, Walk>();

function stillHolds(walk: Walk, skip: ReadonlySet<object>): boolean {
  if (walk.skipped.size !== skip.size) return false;
  for (const o of skip) if (!walk.skipped.has(o)) return false;
  for (const [o, key, value] of walk.fields) if (o[key] !== value) return false;
  for (const [array, length] of walk.lengths) if (array.length !== length) return false;
  for (const ref of walk.refs) if (ref.variable.isDisposed) return false;
  return true;
}

function walkOptimizer(optimizer: object, skip: ReadonlySet<object>): Walk {
  const refs: OptimizerVariableRef[] = [];
  const fields: Walk['fields'] = [];
  const lengths: Walk['lengths'] = [];
  // A skipped optimizer's state is all its own, including that of the optimizers it wraps.
  const seen = new Set<unknown>([...skip].flatMap((o) => optimizerTree(o)));
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
  return {refs, fields, lengths, skipped: new Set(skip)};
}

/**
 * Every `tf.Variable` an optimizer keeps as state: fields holding a variable (Adam's `accBeta1`)
 * and entries of slot arrays (`accumulatedFirstMoment[i].variable`); a wrapped optimizer
 * (`LossScaleOptimizer.innerOptimizer`, any field holding a `tf.Optimizer`) is searched too.
 * tfjs's optimizers create slot entries lazily, in variable order, on their first
 * `applyGradients`. The optimizers in `skip` (those that captured their state through
 * {@link OPTIMIZER_STATE}) and every optimizer they wrap are left out. The walk is cached per
 * optimizer and redone when a field it read changed, a slot array changed length, a variable was
 * disposed (as `setWeights` and new slots do) or `skip` differs.
 */
export function optimizerVariables(
  optimizer: unknown,
  skip: ReadonlySet<object> = new Set(),
): OptimizerVariableRef[] {
  if (optimizer == null || typeof optimizer !== 'object') return [];
  let walk = WALKS.get(optimizer);
  if (walk == null || !stillHolds(walk, skip)) {
    walk = walkOptimizer(optimizer, skip);
    WALKS.set(optimizer, walk);
  }
  return walk.refs;
}
