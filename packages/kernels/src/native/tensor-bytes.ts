import * as tf from '@tensorflow/tfjs';
import {asNodeBackend, type TfBinding, type TfHandle, type TfOpAttr} from './binding.js';

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

/** A TF tensor buffer and how many counted handles share it. */
interface Buffer {
  readonly bytes: number;
  handles: number;
}

/**
 * Ops whose output shares its first input's buffer in TensorFlow's kernels (a new shape or type
 * over the same memory: `Tensor::CopyFrom`, `BitcastFrom`, `set_output(0, input)`), and a Cast
 * to the type it already has, which passes its input through.
 */
const VIEW_OPS: ReadonlySet<string> = new Set([
  'Reshape',
  'Squeeze',
  'ExpandDims',
  'Identity',
  'Bitcast',
]);

/**
 * Ops whose output shares the buffer of a resource variable (`ReadVariableOp`): that buffer is the
 * variable's storage, which is counted nowhere (a resource handle has no bytes here), so neither
 * is the read. TensorFlow copies it only when an update writes the variable while a read is still
 * alive (copy-on-write, inside the update op: not counted, like any op's scratch memory).
 */
const VARIABLE_READ_OPS: ReadonlySet<string> = new Set(['ReadVariableOp']);

function isView(opName: string, attrs: readonly TfOpAttr[]): boolean {
  if (VIEW_OPS.has(opName)) return true;
  if (opName !== 'Cast') return false;
  const type = (name: string) => attrs.find((a) => a.name === name)?.value;
  return type('SrcT') === type('DstT');
}

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
 * its deletion, a buffer shared by several handles (a Reshape, a same-type Cast: see `VIEW_OPS`)
 * once, while any of them lives. So `peakBytes` is what a training step holds at its busiest moment, whatever
 * `tf.memory()` sees (it counts neither native 16-bit tensors nor kernel temporaries, and counts
 * deferred float32 tensors TF has not allocated) and independent of the memory allocator, whose
 * reuse and fragmentation make process RSS a noisy measure of it. Tensors made before tracking
 * began are not counted, even when freed during it; strings, resources and TensorFlow's
 * scratch memory inside an op are not counted, nor are resource variables' buffers and their
 * reads (`ReadVariableOp`: the fused optimizer's weights and slots, like weights made before
 * tracking). Null where the backend is not tfjs-node's.
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
  // Each handle's buffer; a view (see VIEW_OPS) shares its input's, which is freed with the last
  // handle on it. Handles made before tracking have no entry, nor have their views: not counted.
  const buffers = new Map<number, Buffer>();
  let liveBytes = 0;
  let peakBytes = 0;
  const hold = (id: number, buffer: Buffer): void => {
    release(id);
    buffer.handles++;
    buffers.set(id, buffer);
    if (buffer.handles === 1) liveBytes += buffer.bytes;
    if (liveBytes > peakBytes) peakBytes = liveBytes;
  };
  const release = (id: number): void => {
    const buffer = buffers.get(id);
    if (buffer == null) return;
    buffers.delete(id);
    if (--buffer.handles === 0) liveBytes -= buffer.bytes;
  };
  const allocate = (id: number, shape: readonly number[], dtype: number): void =>
    hold(id, {bytes: shape.reduce((n, d) => n * d, 1) * (ELEMENT_BYTES[dtype] ?? 0), handles: 0});
  // The addon's own functions and constants, with the three that make and free tensors counted.
  const counting = {} as Record<string, unknown>;
  for (const key of Object.getOwnPropertyNames(real)) {
    const value = (real as unknown as Record<string, unknown>)[key];
    counting[key] = typeof value === 'function' ? value.bind(real) : value;
  }
  counting.executeOp = (...args: Parameters<TfBinding['executeOp']>): TfHandle[] => {
    const out = real.executeOp(...args);
    const [opName, attrs, inputIds] = args;
    if (VARIABLE_READ_OPS.has(opName)) return out;
    if (out.length === 1 && isView(opName, attrs)) {
      const shared = buffers.get(inputIds[0]!);
      if (shared != null) hold(out[0]!.id, shared);
      return out;
    }
    for (const h of out) allocate(h.id, h.shape, h.dtype);
    return out;
  };
  counting.createTensor = (...args: Parameters<TfBinding['createTensor']>): number => {
    const id = real.createTensor(...args);
    allocate(id, args[0], args[1]);
    return id;
  };
  counting.deleteTensor = (id: number): void => {
    release(id);
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
