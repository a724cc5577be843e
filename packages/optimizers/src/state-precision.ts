import * as tf from '@tensorflow/tfjs';
import type {NamedAttrMap, Tensor} from '@tensorflow/tfjs';
import {choiceOption, outOfRange} from './internal/check-options.js';

/** Formats optimizer state (and, for pure low-precision training, weights) can be stored in. */
export const STORAGE_FORMATS = Object.freeze(['bfloat16', 'float16', 'float32'] as const);
/** A name from {@link STORAGE_FORMATS}. */
export type StorageFormat = (typeof STORAGE_FORMATS)[number];

/** How a stored value is rounded to its {@link StorageFormat}. */
export const STORAGE_ROUNDINGS = Object.freeze(['nearest', 'stochastic'] as const);
/** A name from {@link STORAGE_ROUNDINGS}. */
export type StorageRounding = (typeof STORAGE_ROUNDINGS)[number];

/**
 * Where {@link AdamW} and {@link Nadam} store their moments and the weights they update, and how
 * they round them. Every step computes in float32 from the stored values; only what is written
 * back is rounded.
 */
export interface StoragePrecisionOptions {
  /**
   * Format the first and second moments are stored rounded to. Default `'float32'` (as tfjs,
   * Keras 3 and PyTorch). `'bfloat16'` keeps float32's exponent range, so v = g² neither
   * overflows nor flushes where float32 would not; `'float16'` underflows for |g| below ~2.4e-4
   * (g² < 6e-8) and is offered for experiments, not recommended.
   *
   * tfjs has no 16-bit dtype: the moments stay float32 tensors holding 16-bit values, so memory
   * in tfjs is unchanged; {@link stateBytes} reports what 16-bit storage takes, the size of the
   * state where a 16-bit dtype exists (saved files written 16-bit, other runtimes).
   */
  stateFormat?: StorageFormat;
  /**
   * Rounding of the stored moments. Default `'nearest'`. `'stochastic'` keeps their expectation
   * exact (small contributions survive on average); it needs `seed`.
   */
  stateRounding?: StorageRounding;
  /**
   * Format the updated weights are stored rounded to: `'bfloat16'` is pure bfloat16 training
   * (no float32 master copy). Default `'float32'`. With `'nearest'` an update smaller than half
   * the weight's spacing (1e-4 on a weight of 1 in bfloat16, spacing 2^-7) is lost every step;
   * `weightRounding: 'stochastic'` makes it survive on average.
   */
  weightFormat?: StorageFormat;
  /** Rounding of the stored weights. Default `'nearest'`; `'stochastic'` needs `seed`. */
  weightRounding?: StorageRounding;
  /**
   * Seed of stochastic rounding, an integer in [0, 2^21). Default 0. Each step, variable and
   * slot draws from its own seed derived from this one, the step number and the position, so a
   * run is reproducible and a restored optimizer continues the same sequence.
   */
  seed?: number;
}

/** Defaults of {@link StoragePrecisionOptions}. */
export const DEFAULT_STORAGE_PRECISION_OPTIONS: Readonly<Required<StoragePrecisionOptions>> =
  Object.freeze({
    stateFormat: 'float32',
    stateRounding: 'nearest',
    weightFormat: 'float32',
    weightRounding: 'nearest',
    seed: 0,
  });

/**
 * Checks the storage options of optimizer `where` and fills in the defaults.
 * @throws TypeError for an unknown format or rounding; RangeError for a bad seed.
 */
export function resolveStoragePrecision(
  where: string,
  options: StoragePrecisionOptions,
): Required<StoragePrecisionOptions> {
  const d = DEFAULT_STORAGE_PRECISION_OPTIONS;
  const resolved = {
    stateFormat: choiceOption(
      where,
      'stateFormat',
      options.stateFormat,
      d.stateFormat,
      STORAGE_FORMATS,
    ),
    stateRounding: choiceOption(
      where,
      'stateRounding',
      options.stateRounding,
      d.stateRounding,
      STORAGE_ROUNDINGS,
    ),
    weightFormat: choiceOption(
      where,
      'weightFormat',
      options.weightFormat,
      d.weightFormat,
      STORAGE_FORMATS,
    ),
    weightRounding: choiceOption(
      where,
      'weightRounding',
      options.weightRounding,
      d.weightRounding,
      STORAGE_ROUNDINGS,
    ),
    seed: d.seed,
  };
  const seed = options.seed ?? d.seed;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed >= 2 ** 21) {
    throw outOfRange(where, 'seed', 'an integer in [0, 2^21)', seed);
  }
  resolved.seed = seed;
  return resolved;
}

/** Bytes per stored value of each format. */
const BYTES: Readonly<Record<StorageFormat, number>> = {bfloat16: 2, float16: 2, float32: 4};

/**
 * Bytes the moments of `params` parameters take with `slots` moments each (2 for Adam-type
 * optimizers) stored in `format`: half of float32's for the 16-bit formats.
 * @example
 * stateBytes(109_386, 2, 'bfloat16') // 437_544 (float32: 875_088)
 */
export function stateBytes(params: number, slots: number, format: StorageFormat): number {
  return params * slots * BYTES[format];
}

/**
 * A seed for one rounding: the base seed in the top 21 bits, a 32-bit hash of (step, variable,
 * slot) below, so every (step, variable, slot) draws independently.
 */
export function derivedSeed(base: number, step: number, variable: number, slot: number): number {
  let h = Math.imul(step ^ 0x27d4eb2f, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15) ^ variable, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ slot, 0xc2b2ae35);
  h ^= h >>> 16;
  return base * 2 ** 32 + (h >>> 0);
}

/**
 * Rounds `x` to `format` with @tfjs-amp/kernels' `AmpQuantize` kernel (run by name, so importing
 * this package does not register the kernels; the caller's `import '@tfjs-amp/kernels'` does).
 * `float32` returns `x` itself.
 * @throws Error when the kernel is not registered for the active backend.
 */
export function roundForStorage(
  where: string,
  x: Tensor,
  format: StorageFormat,
  rounding: StorageRounding,
  seed: number,
): Tensor {
  if (format === 'float32') return x;
  if (tf.getKernel('AmpQuantize', tf.getBackend()) == null) {
    throw new Error(
      `${where}: storing in ${format} needs @tfjs-amp/kernels' AmpQuantize kernel, which is not registered for backend '${tf.getBackend()}'. Add import '@tfjs-amp/kernels' (once, before training).`,
    );
  }
  const attrs: Record<string, unknown> = {format, saturate: false, gradFormat: format};
  if (rounding === 'stochastic') {
    attrs.rounding = 'stochastic';
    attrs.seed = seed;
  }
  return tf.engine().runKernel('AmpQuantize', {x}, attrs as NamedAttrMap) as Tensor;
}
