// Mixed precision by hand for the tfjs-node suites and benchmarks, until @tfjs-amp/policy calls
// withComputeFormat itself (then: applyPolicy(model, `mixed_${format}`)).
import * as tf from '@tensorflow/tfjs';
import type {FormatName} from '../../src/formats/format-spec.js';
import {quantize, withComputeFormat} from '../../src/index.js';

type CallFn = (
  inputs: tf.Tensor | tf.Tensor[],
  kwargs: Record<string, unknown>,
) => tf.Tensor | tf.Tensor[];

function roundAll<T>(value: T, format: FormatName): T {
  if (Array.isArray(value)) return value.map((v) => roundAll(v, format)) as T;
  return (
    value instanceof tf.Tensor && value.dtype === 'float32' ? quantize(value, format) : value
  ) as T;
}

/**
 * Mixed precision by hand, as `@tfjs-amp/policy`'s `applyPolicy(model, 'mixed_<format>')` does
 * it: every layer's inputs, weights (read rounded for the duration of the call) and outputs are
 * rounded to `format`; with `native`, the call also runs inside `withComputeFormat(format)`, so
 * its matrix kernels (and their gradients) run in libtensorflow in the format. Once policy calls
 * withComputeFormat itself, this becomes `applyPolicy(model, \`mixed_${format}\`)`.
 */
export function applyMixed(model: tf.LayersModel, format: FormatName, native: boolean): () => void {
  const undo: Array<() => void> = [];
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    const original = (layer as unknown as {call: CallFn}).call;
    const patched: CallFn = (inputs, kwargs) =>
      tf.tidy(() => {
        const restore: Array<() => void> = [];
        for (const v of layer.weights) {
          const rounded = quantize(Object.getPrototypeOf(v).read.call(v) as tf.Tensor, format);
          Object.defineProperty(v, 'read', {value: () => rounded, configurable: true});
          restore.push(() => delete (v as {read?: unknown}).read);
        }
        try {
          const run = () => original.call(layer, roundAll(inputs, format), kwargs);
          return roundAll(native ? withComputeFormat(format, run) : run(), format);
        } finally {
          for (const r of restore) r();
        }
      });
    Object.defineProperty(layer, 'call', {value: patched, configurable: true, writable: true});
    undo.push(() => delete (layer as {call?: unknown}).call);
  }
  return () => {
    for (const u of undo) u();
  };
}
