import * as tf from '@tensorflow/tfjs';
import {asNodeBackend, type TfBinding, type TfHandle} from './binding.js';

/** Bytes per element of each `TF_DataType` a tensor can have here (tensorflow/c/tf_datatype.h). */
const ELEMENT_BYTES: Readonly<Record<number, number>> = Object.freeze({
  1: 4, // float
  2: 8, // double
  3: 4, // int32
  4: 1, // uint8
  5: 2, // int16
  6: 1, // int8
  8: 8, // complex64
  9: 8, // int64
  10: 1, // bool
  14: 2, // bfloat16
  17: 2, // uint16
  19: 2, // half
  22: 4, // uint32
  23: 8, // uint64
  24: 1, // float8_e5m2
  25: 1, // float8_e4m3fn
});

/** What {@link trackTensorBytes} counted. */
export interface TensorBytes {
  /** Bytes of the counted tensors alive now. */
  readonly liveBytes: number;
  /** The most bytes of counted tensors alive at once. */
  readonly peakBytes: number;
}

/** A running {@link trackTensorBytes}. */
export interface TensorBytesTracker {
  /** The counts so far. */
  read(): TensorBytes;
  /** Stops counting (puts the binding back) and returns the counts. Idempotent. */
  stop(): TensorBytes;
}

/**
 * Counts, on tfjs-node, the bytes of every TensorFlow tensor made from now until `stop()`:
 * tfjs-node's own float32 tensors, the 16-bit ones tfjs-amp's native kernels make and the
 * transient ones inside a kernel alike, each from its creation (`executeOp`, `createTensor`) to
 * its deletion. So `peakBytes` is what a training step holds at its busiest moment, whatever
 * `tf.memory()` sees (it counts neither native 16-bit tensors nor kernel temporaries, and counts
 * deferred float32 tensors TF has not allocated) and independent of the memory allocator, whose
 * reuse and fragmentation make process RSS a noisy measure of it. Tensors made before tracking
 * began are not counted, even when freed during it; strings, resources and TensorFlow's
 * scratch memory inside an op are not counted. Null where the backend is not tfjs-node's.
 *
 * Wraps the backend's binding while it runs: stop trackers in the reverse order of starting.
 * @example
 * const tracker = trackTensorBytes();
 * await model.trainOnBatch(x, y);
 * const {peakBytes} = tracker!.stop();
 */
export function trackTensorBytes(): TensorBytesTracker | null {
  const node = asNodeBackend(tf.backend());
  if (node == null) return null;
  const owner = node as unknown as {binding: TfBinding};
  const real = owner.binding;
  const live = new Map<number, number>();
  let liveBytes = 0;
  let peakBytes = 0;
  const add = (id: number, shape: readonly number[], dtype: number): void => {
    const bytes = shape.reduce((n, d) => n * d, 1) * (ELEMENT_BYTES[dtype] ?? 0);
    liveBytes += bytes - (live.get(id) ?? 0);
    live.set(id, bytes);
    if (liveBytes > peakBytes) peakBytes = liveBytes;
  };
  // The addon's own functions and constants, with the three that make and free tensors counted.
  const counting = {} as Record<string, unknown>;
  for (const key of Object.getOwnPropertyNames(real)) {
    const value = (real as unknown as Record<string, unknown>)[key];
    counting[key] = typeof value === 'function' ? value.bind(real) : value;
  }
  counting.executeOp = (...args: Parameters<TfBinding['executeOp']>): TfHandle[] => {
    const out = real.executeOp(...args);
    for (const h of out) add(h.id, h.shape, h.dtype);
    return out;
  };
  counting.createTensor = (...args: Parameters<TfBinding['createTensor']>): number => {
    const id = real.createTensor(...args);
    add(id, args[0], args[1]);
    return id;
  };
  counting.deleteTensor = (id: number): void => {
    const bytes = live.get(id);
    if (bytes != null) {
      liveBytes -= bytes;
      live.delete(id);
    }
    real.deleteTensor(id);
  };
  owner.binding = counting as unknown as TfBinding;
  let stopped = false;
  const read = (): TensorBytes => Object.freeze({liveBytes, peakBytes});
  return {
    read,
    stop() {
      if (!stopped) {
        stopped = true;
        if ((owner.binding as unknown) === counting) owner.binding = real;
      }
      return read();
    },
  };
}
