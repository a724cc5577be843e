import * as tf from '@tensorflow/tfjs';

type ApplyFn = (inputs: unknown, kwargs?: Record<string, unknown>) => unknown;
type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

/** What made a batch's data non-finite, as seen by {@link BatchFiniteness}. */
export type NonFiniteData = 'input' | 'target';

function isFloatTensor(x: unknown): x is tf.Tensor {
  return x instanceof tf.Tensor && x.dtype === 'float32';
}

/**
 * Watches whether each training batch's inputs and targets are finite, so that a non-finite loss
 * can be told apart: bad data (a NaN or Inf in the batch) or the computation (a precision
 * overflow). While installed (from `install` to `remove`, one `fit`):
 * - the model's entry layers (those fed by input layers only) get an own `apply` that, in a
 *   training call, records `all(isFinite(input))` for each float input before running as before;
 * - each of the model's `lossFunctions` is wrapped the same way for its targets.
 * Nothing else changes: the flags are off the gradient path (so backprop and the step's values are
 * untouched), cost one small reduction per input and target, and are read only when asked
 * ({@link check}), typically only after a non-finite loss. `apply` is not what precision
 * policies or the numerics probe instrument (they wrap `call`), so they compose.
 */
export class BatchFiniteness {
  private inputFlags: tf.Tensor[] = [];
  private targetFlags: tf.Tensor[] = [];
  private undo: Array<() => void> = [];
  /** False once removed: a wrapper left in a chain (another one was installed on top) then passes through. */
  private active = false;

  /** Installs the watch on `model`'s entry layers and loss functions. */
  install(model: tf.LayersModel): void {
    this.remove();
    this.active = true;
    for (const layer of entryLayers(model)) {
      const target = layer as unknown as {apply: ApplyFn};
      const previous = Object.getOwnPropertyDescriptor(layer, 'apply');
      const inner = target.apply;
      const watched: ApplyFn = (inputs, kwargs) => {
        if (kwargs?.training === true) this.record(inputs, this.inputFlags);
        return inner.call(layer, inputs, kwargs);
      };
      Object.defineProperty(layer, 'apply', {
        value: watched,
        configurable: true,
        writable: true,
        enumerable: false,
      });
      this.undo.push(() => {
        if (Object.getOwnPropertyDescriptor(layer, 'apply')?.value !== watched) return;
        if (previous == null) delete (target as {apply?: unknown}).apply;
        else Object.defineProperty(layer, 'apply', previous);
      });
    }
    const losses = (model as unknown as {lossFunctions?: LossFn[]}).lossFunctions;
    if (Array.isArray(losses)) {
      losses.forEach((inner, i) => {
        if (typeof inner !== 'function') return;
        const watched: LossFn = (yTrue, yPred) => {
          this.record(yTrue, this.targetFlags);
          return inner(yTrue, yPred);
        };
        losses[i] = watched;
        this.undo.push(() => {
          if (losses[i] === watched) losses[i] = inner;
        });
      });
    }
  }

  /** Frees the flags of the previous batch; call at the start of each batch. */
  reset(): void {
    tf.dispose(this.inputFlags);
    tf.dispose(this.targetFlags);
    this.inputFlags = [];
    this.targetFlags = [];
  }

  /**
   * Which part of the current batch was non-finite (`'input'` first), or `null` when every
   * watched input and target was finite (or nothing was recorded). One device read.
   */
  async check(): Promise<NonFiniteData | null> {
    for (const [flags, kind] of [
      [this.inputFlags, 'input'],
      [this.targetFlags, 'target'],
    ] as const) {
      for (const flag of flags) {
        if ((await flag.data())[0] === 0) return kind;
      }
    }
    return null;
  }

  /** Takes the watch off (only what is still ours) and frees the flags. */
  remove(): void {
    this.active = false;
    for (const undo of this.undo.splice(0).reverse()) undo();
    this.reset();
  }

  private record(value: unknown, into: tf.Tensor[]): void {
    if (!this.active) return;
    const list = Array.isArray(value) ? value : [value];
    for (const x of list) {
      if (!isFloatTensor(x)) continue;
      into.push(tf.keep(tf.tidy(() => tf.all(tf.isFinite(x)))));
    }
  }
}

/** Layers of `model` whose every inbound layer is an InputLayer: they receive the fed inputs. */
function entryLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((layer) => {
    if (layer.getClassName() === 'InputLayer') return false;
    const nodes = (layer as unknown as {inboundNodes?: Array<{inboundLayers: tf.layers.Layer[]}>})
      .inboundNodes;
    return (nodes ?? []).some(
      (n) =>
        n.inboundLayers.length > 0 &&
        n.inboundLayers.every((l) => l.getClassName() === 'InputLayer'),
    );
  });
}
