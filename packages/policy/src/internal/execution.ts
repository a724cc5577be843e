import type {FormatName} from '@tfjs-amp/kernels';
import type {Layer} from './layer-walk.js';

/**
 * How a layer's compute format is carried out: `emulated` (float32 arithmetic with values rounded
 * at the cast points, on any backend) or `none` (the layer computes in float32; nothing to do).
 */
export type PolicyExecution = 'emulated' | 'none';

/**
 * The one place that decides a layer's execution, so that native half-precision kernels (on
 * tfjs-node) can report `native` here without touching the callers.
 */
export function layerExecution(_layer: Layer, computeFormat: FormatName): PolicyExecution {
  return computeFormat === 'float32' ? 'none' : 'emulated';
}
