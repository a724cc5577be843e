import * as tf from '@tensorflow/tfjs';
import type {NamedTensorMap, Tensor} from '@tensorflow/tfjs';
import {choiceOption, invalidChoice, wrongTypeOf} from './internal/check-options.js';
import {
  DEFAULT_STORAGE_PRECISION_OPTIONS,
  STORAGE_FORMATS,
  type StorageFormat,
  type StorageRounding,
  derivedSeed,
  resolveStoragePrecision,
  roundForStorage,
} from './state-precision.js';

type NamedTensor = {name: string; tensor: Tensor};

/**
 * The slot-variable fields of tfjs's built-in optimizers (tfjs 4.x), by class name: each an array
 * of `{originalName, variable}`. SGD has no state. Frozen, sorted.
 */
export const BUILT_IN_SLOT_FIELDS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  Adadelta: Object.freeze(['accumulatedGrads', 'accumulatedUpdates']),
  Adagrad: Object.freeze(['accumulatedGrads']),
  Adam: Object.freeze(['accumulatedFirstMoment', 'accumulatedSecondMoment']),
  Adamax: Object.freeze(['accumulatedFirstMoment', 'accumulatedWeightedInfNorm']),
  Momentum: Object.freeze(['accumulations']),
  RMSProp: Object.freeze(['accumulatedMeanGrads', 'accumulatedMeanSquares', 'accumulatedMoments']),
});

/** Options of {@link roundOptimizerState}. */
export interface RoundedStateOptions {
  /** Format the slots are stored rounded to. Default `'bfloat16'`. */
  stateFormat?: StorageFormat;
  /** Rounding of the stored slots. Default `'nearest'`; `'stochastic'` draws from `seed`. */
  stateRounding?: StorageRounding;
  /** Seed of stochastic rounding, an integer in [0, 2^21). Default 0. */
  seed?: number;
}

/**
 * A tfjs built-in optimizer whose slots (Adam's moments, RMSProp's mean squares, ...) are stored
 * rounded to a 16-bit format after every step. Steps run the wrapped optimizer's own code, then
 * round each slot variable in place; the wrapped optimizer's scalars (Adam's β powers) stay
 * float32. `getWeights`, `setWeights`, `getConfig`, `iterations` and the class name are the
 * wrapped optimizer's, so a model saved with `includeOptimizer` loads back as the plain built-in
 * (wrap it again). Not for `fuseOptimizer` (its slots live in TensorFlow) nor
 * `LossScaleOptimizer`'s fused path (pass `{fused: false}`).
 * @example
 * const optimizer = roundOptimizerState(tf.train.adam(1e-3), {stateFormat: 'bfloat16'});
 */
export class RoundedStateOptimizer extends tf.Optimizer {
  readonly innerOptimizer: tf.Optimizer;
  readonly stateFormat: StorageFormat;
  readonly stateRounding: StorageRounding;
  readonly seed: number;
  private readonly fields: readonly string[];

  constructor(inner: tf.Optimizer, options: RoundedStateOptions = {}) {
    super();
    const where = 'roundOptimizerState';
    if (!(inner instanceof tf.Optimizer)) {
      throw wrongTypeOf(where, 'optimizer', 'a tf.Optimizer', inner);
    }
    const name = inner.getClassName();
    const fields = BUILT_IN_SLOT_FIELDS[name];
    if (fields == null) {
      throw invalidChoice(
        where,
        'optimizer class',
        name,
        Object.keys(BUILT_IN_SLOT_FIELDS),
        'AdamW and Nadam have their own stateFormat option.',
      );
    }
    this.innerOptimizer = inner;
    this.fields = fields;
    const resolved = resolveStoragePrecision(where, {
      stateRounding: options.stateRounding,
      seed: options.seed,
    });
    this.stateFormat = choiceOption(
      where,
      'stateFormat',
      options.stateFormat,
      'bfloat16',
      STORAGE_FORMATS,
    );
    this.stateRounding = resolved.stateRounding;
    this.seed = resolved.seed;
  }

  override get iterations(): number {
    return this.innerOptimizer.iterations;
  }

  override getClassName(): string {
    return this.innerOptimizer.getClassName();
  }

  override applyGradients(variableGradients: NamedTensorMap | NamedTensor[]): void {
    this.innerOptimizer.applyGradients(variableGradients);
    if (this.stateFormat === 'float32') return;
    const step = this.innerOptimizer.iterations;
    const inner = this.innerOptimizer as unknown as Record<
      string,
      {variable: tf.Variable}[] | undefined
    >;
    tf.tidy(() => {
      this.fields.forEach((field, f) => {
        (inner[field] ?? []).forEach((slot, i) => {
          if (slot?.variable == null) return;
          slot.variable.assign(
            roundForStorage(
              'roundOptimizerState',
              slot.variable,
              this.stateFormat,
              this.stateRounding,
              derivedSeed(this.seed, step, i, f),
            ),
          );
        });
      });
    });
  }

  override getWeights(): Promise<NamedTensor[]> {
    return this.innerOptimizer.getWeights();
  }

  override setWeights(weightValues: NamedTensor[]): Promise<void> {
    return this.innerOptimizer.setWeights(weightValues);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return this.innerOptimizer.getConfig();
  }

  override dispose(): void {
    this.innerOptimizer.dispose();
  }
}

/**
 * Wraps a tfjs built-in optimizer (Adam, Adamax, Adagrad, Adadelta, Momentum, RMSProp) so its
 * slots are stored rounded to `stateFormat` (default bfloat16) after every step. See
 * {@link RoundedStateOptimizer}.
 * @throws TypeError for a non-optimizer or a class without known slots (the message lists them).
 * @example
 * model.compile({optimizer: roundOptimizerState(tf.train.adam()), loss: 'meanSquaredError'});
 */
export function roundOptimizerState(
  optimizer: tf.Optimizer,
  options: RoundedStateOptions = {},
): RoundedStateOptimizer {
  return new RoundedStateOptimizer(optimizer, options);
}

/** Defaults of {@link RoundedStateOptions}. */
export const DEFAULT_ROUNDED_STATE_OPTIONS: Readonly<Required<RoundedStateOptions>> = Object.freeze(
  {
    stateFormat: 'bfloat16',
    stateRounding: DEFAULT_STORAGE_PRECISION_OPTIONS.stateRounding,
    seed: DEFAULT_STORAGE_PRECISION_OPTIONS.seed,
  },
);
