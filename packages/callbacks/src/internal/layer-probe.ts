import * as tf from '@tensorflow/tfjs';

type CallFn = (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => unknown;

/** What a probe hands back for one output tensor of the layer. */
export interface ProbeHandlers {
  /** Called with each float32 output during the forward pass (off the gradient tape). */
  onActivation(output: tf.Tensor, outputIndex: number): void;
  /** Called with the gradient reaching that output during the backward pass. */
  onGradient(gradient: tf.Tensor, outputIndex: number): void;
}

function isConcrete(inputs: unknown): boolean {
  if (Array.isArray(inputs)) return inputs.every((x) => x == null || x instanceof tf.Tensor);
  return inputs instanceof tf.Tensor;
}

/**
 * Wraps `layer.call` (whatever is installed now: the class's method, or a policy's instrumented
 * one) for one forward pass. On the first concrete call that is not an explicit inference call
 * (`training: false`), the previous `call` is put back at once, the layer runs as before, and
 * each float32 output goes through an identity op whose gradient is the identity too
 * (`tf.customGrad`), so values and gradients are bit-identical to a run without the probe; the
 * handlers see the output forward and its gradient backward.
 *
 * Returns `remove()`, which puts the previous `call` back if the probe is still installed (a
 * probe that fired already removed itself; a `call` someone installed since is left alone).
 */
export function installProbe(layer: tf.layers.Layer, handlers: ProbeHandlers): () => void {
  const target = layer as unknown as {call: CallFn};
  const previous = Object.getOwnPropertyDescriptor(layer, 'call');
  const inner = target.call;
  let fired = false;
  const remove = (): void => {
    if (Object.getOwnPropertyDescriptor(layer, 'call')?.value !== probe) return;
    if (previous == null) delete (target as {call?: unknown}).call;
    else Object.defineProperty(layer, 'call', previous);
  };
  const probe: CallFn = (inputs, kwargs) => {
    if (fired || !isConcrete(inputs) || kwargs?.training === false) {
      return inner.call(layer, inputs, kwargs);
    }
    fired = true;
    remove();
    const outputs = inner.call(layer, inputs, kwargs);
    let index = 0;
    const wrap = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(wrap);
      if (!(value instanceof tf.Tensor) || value.dtype !== 'float32') return value;
      const i = index++;
      return identityProbe(
        value,
        (x) => handlers.onActivation(x, i),
        (dy) => handlers.onGradient(dy, i),
      );
    };
    return wrap(outputs);
  };
  Object.defineProperty(layer, 'call', {
    value: probe,
    configurable: true,
    writable: true,
    enumerable: false,
  });
  return remove;
}

/**
 * `x` unchanged, with `onForward(x)` called as the value passes and `onGradient(dy)` when its
 * gradient passes back. Both run where tfjs records nothing on the gradient tape (inside a custom
 * op), so what they compute adds no backprop work and nothing they keep is freed by backprop.
 */
function identityProbe(
  x: tf.Tensor,
  onForward: (x: tf.Tensor) => void,
  onGradient: (dy: tf.Tensor) => void,
): tf.Tensor {
  const op = tf.customGrad((input) => {
    const value = input as tf.Tensor;
    onForward(value);
    return {
      value: value.clone(),
      gradFunc: (dy: tf.Tensor) => {
        onGradient(dy);
        return dy;
      },
    };
  });
  return op(x) as tf.Tensor;
}
