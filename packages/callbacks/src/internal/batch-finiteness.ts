import * as tf from '@tensorflow/tfjs';
import {shareData} from './weight-snapshot.js';

type ApplyFn = (inputs: unknown, kwargs?: Record<string, unknown>) => unknown;
type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

/** What made a batch's data non-finite, as seen by {@link BatchFiniteness}. */
export type NonFiniteData = 'input' | 'target';

function isFloatTensor(x: unknown): x is tf.Tensor {
  return x instanceof tf.Tensor && x.dtype === 'float32';
}

/**
 * Keeps each training batch's inputs and targets at hand, so that a non-finite loss can be told
 * apart: bad data (a NaN or Inf in the batch) or the computation (a precision overflow). While
 * installed (from `install` to `remove`, one `fit`):
 * - the model's entry layers (those fed by input layers only) get an own `apply` that, in a
 *   training call, keeps a reference to each float input before running as before;
 * - each of the model's `lossFunctions` is wrapped the same way for its targets.
 * The references share the tensors' data (no copy, no kernel, nothing on the gradient tape), so a
 * step computes exactly what it did and costs no extra op; the data lives until the next batch
 * starts. Only {@link check}, typically called only after a non-finite loss, runs `isFinite` on
 * them. `apply` is not what precision policies or the numerics probe instrument (they wrap
 * `call`), so they compose.
 */
export class BatchFiniteness {
  private inputs: tf.Tensor[] = [];
  private targets: tf.Tensor[] = [];
  private undo: Array<() => void> = [];
  /** False once removed: a wrapper left in a chain (another installed on top) then passes through. */
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
        if (kwargs?.training === true) this.record(inputs, this.inputs);
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
          this.record(yTrue, this.targets);
          return inner(yTrue, yPred);
        };
        losses[i] = watched;
        this.undo.push(() => {
          if (losses[i] === watched) losses[i] = inner;
        });
      });
    }
  }

  /** Lets go of the previous batch's data; call at the start and end of each batch. */
  reset(): void {
    tf.dispose(this.inputs);
    tf.dispose(this.targets);
    this.inputs = [];
    this.targets = [];
  }

  /**
   * Which part of the current batch was non-finite (`'input'` first), or `null` when every
   * watched input and target was finite (or nothing was recorded). One device read.
   */
  async check(): Promise<NonFiniteData | null> {
    for (const [tensors, kind] of [
      [this.inputs, 'input'],
      [this.targets, 'target'],
    ] as const) {
      for (const x of tensors) {
        const finite = tf.tidy(() => tf.all(tf.isFinite(x)));
        const ok = (await finite.data())[0] === 1;
        finite.dispose();
        if (!ok) return kind;
      }
    }
    return null;
  }

  /** Takes the watch off (only what is still ours) and lets go of the data. */
  remove(): void {
    this.active = false;
    for (const undo of this.undo.splice(0).reverse()) undo();
    this.reset();
  }

  private record(value: unknown, into: tf.Tensor[]): void {
    if (!this.active) return;
    const list = Array.isArray(value) ? value : [value];
    for (const x of list) {
      if (!isFloatTensor(x) || x.isDisposed) continue;
      into.push(shareData(x));
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
