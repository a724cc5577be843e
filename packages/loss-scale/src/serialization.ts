import * as tf from '@tensorflow/tfjs';
import type {NamedTensor} from './internal/types.js';
import {describeValue, outOfRange, wrongType} from './internal/errors.js';

/**
 * The optimizer state that `getWeights()` saves beside the inner optimizer's weights, so
 * `model.save(handler, {includeOptimizer: true})` and `tf.loadLayersModel` resume a run exactly.
 */
export interface PersistedScaleState {
  lossScale: number;
  goodSteps: number;
  hysteresisLeft: number;
  overflowCount: number;
  skippedSteps: number;
  iterations: number;
  lastStepSkipped: boolean;
}

/** Prefix of the optimizer weights that hold the scale state (inner weights keep their names). */
export const STATE_WEIGHT_PREFIX = 'LossScaleOptimizer/';

/** Weight names of the state, in the order getWeights() writes them; the scale is float32. */
export const STATE_WEIGHT_NAMES = Object.freeze({
  lossScale: `${STATE_WEIGHT_PREFIX}loss_scale`,
  goodSteps: `${STATE_WEIGHT_PREFIX}good_steps`,
  hysteresisLeft: `${STATE_WEIGHT_PREFIX}hysteresis_left`,
  overflowCount: `${STATE_WEIGHT_PREFIX}overflow_count`,
  skippedSteps: `${STATE_WEIGHT_PREFIX}skipped_steps`,
  iterations: `${STATE_WEIGHT_PREFIX}iterations`,
  lastStepSkipped: `${STATE_WEIGHT_PREFIX}last_step_skipped`,
} satisfies Record<keyof PersistedScaleState, string>);

const FIELDS = Object.keys(STATE_WEIGHT_NAMES) as (keyof PersistedScaleState)[];

/**
 * The state as named scalars: the scale as float32 (exact: it is always a float32 value), the
 * counters as int32. The caller owns the returned tensors.
 */
export function stateToWeights(state: PersistedScaleState): NamedTensor[] {
  return FIELDS.map((field) => {
    const value = state[field];
    const tensor =
      field === 'lossScale'
        ? tf.scalar(value as number, 'float32')
        : tf.scalar(typeof value === 'boolean' ? Number(value) : value, 'int32');
    return {name: STATE_WEIGHT_NAMES[field], tensor};
  });
}

/**
 * Splits loaded optimizer weights into the scale state and the inner optimizer's weights (the
 * rest, order kept). `state` is null when the weights hold no scale state at all (weights saved
 * from the bare inner optimizer); a partial or invalid state throws, so nothing is half-restored.
 * @throws Error naming the missing weights; RangeError for an impossible value.
 */
export async function splitStateWeights(
  weights: readonly NamedTensor[],
): Promise<{state: PersistedScaleState | null; inner: NamedTensor[]}> {
  if (!Array.isArray(weights)) {
    throw wrongType(
      'LossScaleOptimizer.setWeights',
      'weightValues',
      'an array of {name, tensor}',
      describeValue(weights),
    );
  }
  const inner: NamedTensor[] = [];
  const found = new Map<string, NamedTensor>();
  for (const w of weights) {
    if (typeof w?.name === 'string' && w.name.startsWith(STATE_WEIGHT_PREFIX)) found.set(w.name, w);
    else inner.push(w);
  }
  if (found.size === 0) return {state: null, inner};
  const missing = FIELDS.filter((f) => !found.has(STATE_WEIGHT_NAMES[f])).map(
    (f) => STATE_WEIGHT_NAMES[f],
  );
  if (missing.length > 0) {
    throw new Error(
      `LossScaleOptimizer.setWeights: the scale state is incomplete; missing ${missing.join(', ')}. ` +
        'Pass all of getWeights() or none of its LossScaleOptimizer/ entries.',
    );
  }
  const read = async (field: keyof PersistedScaleState): Promise<number> => {
    const t = found.get(STATE_WEIGHT_NAMES[field])!.tensor;
    if (t.size !== 1) {
      throw outOfRange(
        'LossScaleOptimizer.setWeights',
        `${STATE_WEIGHT_NAMES[field]}'s size`,
        '1',
        t.size,
      );
    }
    return (await t.data())[0]!;
  };
  const state: PersistedScaleState = {
    lossScale: await read('lossScale'),
    goodSteps: await read('goodSteps'),
    hysteresisLeft: await read('hysteresisLeft'),
    overflowCount: await read('overflowCount'),
    skippedSteps: await read('skippedSteps'),
    iterations: await read('iterations'),
    lastStepSkipped: (await read('lastStepSkipped')) !== 0,
  };
  const scale = Math.fround(state.lossScale);
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw outOfRange(
      'LossScaleOptimizer.setWeights',
      STATE_WEIGHT_NAMES.lossScale,
      'a positive finite float32',
      state.lossScale,
    );
  }
  for (const field of FIELDS) {
    if (field === 'lossScale' || field === 'lastStepSkipped') continue;
    const v = state[field] as number;
    if (!Number.isInteger(v) || v < 0) {
      throw outOfRange(
        'LossScaleOptimizer.setWeights',
        STATE_WEIGHT_NAMES[field],
        'a non-negative integer',
        v,
      );
    }
  }
  if (state.hysteresisLeft < 1) {
    throw outOfRange(
      'LossScaleOptimizer.setWeights',
      STATE_WEIGHT_NAMES.hysteresisLeft,
      'at least 1',
      state.hysteresisLeft,
    );
  }
  return {state: {...state, lossScale: scale}, inner};
}

/** `{className, config}` of an optimizer, for nesting in a config. */
export function serializeOptimizer(optimizer: tf.Optimizer): tf.serialization.ConfigDict {
  const className = optimizer.getClassName();
  if (typeof className !== 'string' || className.length === 0) {
    throw new TypeError(
      `LossScaleOptimizer: the inner optimizer (${describeValue(optimizer)}) has no static ` +
        'className, so it cannot be saved. Give the class `static className = "MyOptimizer"` and ' +
        'register it: tf.serialization.registerClass(MyOptimizer).',
    );
  }
  return {className, config: optimizer.getConfig()};
}

/**
 * Rebuilds an optimizer from `{className, config}` through tfjs's serialization registry (the
 * built-in optimizers are registered by tfjs; user classes through `registerClass`).
 * @throws TypeError when the config is malformed or the class is not registered.
 */
export function deserializeOptimizer(value: unknown): tf.Optimizer {
  const where = 'LossScaleOptimizer.fromConfig';
  if (value == null || typeof value !== 'object' || Array.isArray(value)) {
    throw wrongType(
      where,
      'config.innerOptimizer',
      'an object {className, config}',
      describeValue(value),
    );
  }
  const {className, config} = value as {className?: unknown; config?: unknown};
  if (typeof className !== 'string') {
    throw wrongType(where, 'config.innerOptimizer.className', 'a string', describeValue(className));
  }
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (entry == null) {
    throw new TypeError(
      `${where}: unknown optimizer class '${className}'. Register it first: ` +
        'tf.serialization.registerClass(TheClass).',
    );
  }
  const [cls, fromConfig] = entry;
  const optimizer = fromConfig(cls, (config ?? {}) as tf.serialization.ConfigDict);
  if (!(optimizer instanceof tf.Optimizer)) {
    throw wrongType(where, `class '${className}'`, 'a tf.Optimizer', describeValue(optimizer));
  }
  return optimizer;
}
