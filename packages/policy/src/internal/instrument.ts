import * as tf from '@tensorflow/tfjs';
import {type FormatName, withComputeFormat} from '@tfjs-amp/kernels';
import type {CastPlan} from '../cast-points.js';
import {castTo, markRounded} from './cast.js';
import type {Layer} from './layer-walk.js';
import {
  LINEAR_ACTIVATION,
  fusedCall,
  kernelRoundedByFusedCall,
  nativeShortcut,
} from './native-shortcut.js';
import type {VariableRounding} from './variable-rounding.js';
import {roundWeightReads} from './weight-reads.js';

type CallFn = (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => unknown;

/** What instrumenting one layer changed, to undo it exactly. */
export interface CallPatch {
  /** The layer's own `call` property before instrumenting (absent: it came from the prototype). */
  readonly previous: PropertyDescriptor | undefined;
  /** The `call` that runs inside the instrumented one. */
  readonly original: CallFn;
  /** The instrumented `call` now on the layer. */
  readonly patched: CallFn;
}

function isTensor(value: unknown): value is tf.Tensor {
  return value instanceof tf.Tensor;
}

/** The one tensor a layer was called with: a tensor, or (from a Sequential) an array holding it. */
function singleTensor(inputs: unknown): tf.Tensor | null {
  const value = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : null) : inputs;
  return isTensor(value) ? value : null;
}

function allConcrete(inputs: unknown): boolean {
  return Array.isArray(inputs) ? inputs.every((x) => x == null || isTensor(x)) : isTensor(inputs);
}

/**
 * Rounds every float32 tensor in `value` (a tensor or an array of them, as layers take and
 * return) to `format`; other dtypes and non-tensors pass through. A tensor listed twice (an LSTM
 * cell returns `[h, h, c]`) is rounded once.
 */
function roundTensors(
  value: unknown,
  format: FormatName,
  cache: Map<tf.Tensor, tf.Tensor>,
): unknown {
  if (Array.isArray(value)) return value.map((v) => roundTensors(v, format, cache));
  if (!isTensor(value) || value.dtype !== 'float32') return value;
  let rounded = cache.get(value);
  if (rounded == null) {
    rounded = castTo(value, format);
    cache.set(value, rounded);
  }
  return rounded;
}

/** Marks every float32 tensor in `value` as holding only `format` values. */
function markFloatTensors(value: unknown, format: FormatName): void {
  if (Array.isArray(value)) for (const v of value) markFloatTensors(v, format);
  else if (isTensor(value) && value.dtype === 'float32') markRounded(value, format);
}

/**
 * Replaces `layer.call` (on the instance only) with one that applies `plan`'s cast points around
 * the original: round floating inputs, read weights rounded for the duration of the call, run the
 * original `call` (its arithmetic stays float32), round floating outputs. All in one `tidy`, so the
 * rounded copies never outlive the call; kwargs (`training`, `mask`, `initialState`) pass
 * through untouched. Calls with non-tensor inputs go straight to the original.
 *
 * `variables` is set for pure policies: the layer's variables, created lazily on first build, are
 * hooked to stay in the variable format.
 */
export function patchCall(
  layer: Layer,
  plan: CastPlan,
  variables: VariableRounding | null,
): CallPatch {
  const previous = Object.getOwnPropertyDescriptor(layer, 'call');
  const original = (layer as unknown as {call: CallFn}).call;
  const format = plan.computeFormat;
  const patched: CallFn = (inputs, kwargs) => {
    if (!allConcrete(inputs)) return original.call(layer, inputs, kwargs);
    return tf.tidy(() => {
      const weights = layer.weights;
      if (variables != null && plan.variableFormat !== 'float32') {
        variables.hook(weights, plan.variableFormat);
      }
      // A layer whose kernels all run natively leaves its input and weight casts to them: one
      // Cast per tensor (cached), no float32 rounded copy (see nativeShortcut).
      const single = singleTensor(inputs);
      const shortcut = format === 'float32' ? null : nativeShortcut(layer, format, single);
      // An emulated Dense or Conv2D on tfjs-node runs the same fused kernel as a native one, on
      // its rounded inputs and weights in float32: the same values as the layer's own call, with a
      // gradient that computes only what the tape needs and relu's as one TF op. The kernel rounds
      // its own result when the layer's output is rounded anyway, so no float32 copy of the
      // output is kept beside the rounded one (relu's gradient reads the rounded output); the
      // kernel rounds the layer's weight matrix or filter too, for each product, so no float32
      // rounded copy of it is kept from the forward pass to the backward one, and the gradient of
      // its (rounded) input, so no float32 input gradient is kept beside the rounded one.
      const emulated = shortcut == null && format !== 'float32' && tf.getBackend() === 'tensorflow';
      const kernelInside =
        emulated && plan.roundWeights ? kernelRoundedByFusedCall(layer, single) : null;
      const emulatedCall = emulated
        ? fusedCall(layer, {
            output: plan.roundOutputs ? format : undefined,
            kernel: kernelInside == null ? undefined : format,
            input: plan.roundInputs ? format : undefined,
          })
        : null;
      const rounded = weights.filter(
        (w) => w !== kernelInside && (shortcut == null || !shortcut.nativeWeights.has(w)),
      );
      const restoreReads = plan.roundWeights ? roundWeightReads(rounded, format) : null;
      const swapped = shortcut?.activationAfter != null;
      const owner = layer as unknown as {activation: unknown};
      const activation = owner.activation;
      if (swapped) owner.activation = LINEAR_ACTIVATION;
      try {
        const cache = new Map<tf.Tensor, tf.Tensor>();
        const castInputs =
          plan.roundInputs && shortcut == null ? roundTensors(inputs, format, cache) : inputs;
        // The compute-format context lets native half-precision kernels (tfjs-node) run the
        // layer's matrix work in the format; elsewhere it changes nothing and the cast points
        // above and below are the emulation.
        const input = singleTensor(castInputs);
        let viaDirect = false;
        let outputs = withComputeFormat(format, () => {
          const call = shortcut?.direct ?? emulatedCall;
          const direct = call != null && input != null ? call(input) : null;
          viaDirect = direct != null;
          return direct ?? original.call(layer, castInputs as tf.Tensor | tf.Tensor[], kwargs);
        });
        owner.activation = activation;
        if (viaDirect) {
          if (shortcut?.directKeepsRounding === true) markFloatTensors(outputs, format);
        } else if (swapped) {
          outputs = shortcut!.activationAfter!.apply(outputs as tf.Tensor);
          if (shortcut.keepsRounding) markFloatTensors(outputs, format);
        }
        if (plan.selectsValues && plan.roundInputs) markFloatTensors(outputs, format);
        return (
          plan.roundOutputs ? roundTensors(outputs, format, cache) : outputs
        ) as tf.TensorContainer;
      } finally {
        owner.activation = activation;
        restoreReads?.();
      }
    });
  };
  Object.defineProperty(layer, 'call', {
    value: patched,
    configurable: true,
    writable: true,
    enumerable: false,
  });
  return {previous, original, patched};
}

/** Puts back the `call` that {@link patchCall} replaced. */
export function unpatchCall(layer: Layer, patch: CallPatch): void {
  if (patch.previous == null) delete (layer as {call?: unknown}).call;
  else Object.defineProperty(layer, 'call', patch.previous);
}
