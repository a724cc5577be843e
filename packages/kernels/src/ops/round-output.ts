import * as tf from '@tensorflow/tfjs';
import type {FormatName} from '../formats/format-spec.js';
import {resolveFormat} from '../formats/index.js';
import {isRoundedData} from '../native/half-cache.js';
import {quantize} from './quantize.js';

/**
 * One of the fused ops' rounding options (`roundOutputTo`, `roundWeightTo`) checked: a format
 * name (float32 means none), or undefined.
 */
export function roundingOption(
  where: string,
  option: 'roundOutputTo' | 'roundWeightTo' | 'roundInputTo',
  value: unknown,
): FormatName | undefined {
  if (value == null) return undefined;
  const name = resolveFormat(value as FormatName, where, option).name;
  return name === 'float32' ? undefined : name;
}

/**
 * The fused op's result `y`, rounded to `format` where the kernel did not round it itself (every
 * backend but tfjs-node): a rounding whose gradient passes straight through, as the op's own is.
 */
export function ensureRounded<T extends tf.Tensor>(y: T, format: FormatName | undefined): T {
  if (format == null || isRoundedData(y, format)) return y;
  return tf.tidy(() => quantize(y, format, {gradFormat: null})) as T;
}
