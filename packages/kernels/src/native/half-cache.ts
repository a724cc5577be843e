import * as tf from '@tensorflow/tfjs';
import type {TensorInfo} from '@tensorflow/tfjs';
import type {FormatName} from '../formats/format-spec.js';
import {
  asNodeBackend,
  castAttrs,
  NATIVE_COMPUTE_FORMATS,
  HandleScope,
  type NodeBackend,
  TF_DTYPES,
  type TfHandle,
  typeAttr,
} from './binding.js';

/**
 * The cast cache of the native kernels, like `torch.autocast`'s: beside a float32 tfjs tensor on
 * tfjs-node, the 16-bit TF handle it was cast to (or that a native kernel produced it from), so
 * that each weight and each activation is cast to the compute format at most once, however many
 * native kernels read it (the forward product and both backward products), and native kernels
 * hand their 16-bit results straight to the next one.
 *
 * Entries are keyed by the tensor's `dataId`, whose data never changes (a Variable's `assign`
 * takes a new one), and freed when tfjs-node frees that data: the backend's `disposeData` is
 * wrapped once per backend. So an entry lives exactly as long as its float32 tensor.
 *
 * Also kept, per dataId: the formats its float32 values are known to be representable in
 * (outputs of native kernels and of `quantize`), so that rounding them again is skipped.
 */
interface BackendCache {
  /** dataId → format → 16-bit handle id (owned by this cache). */
  readonly halves: Map<object, Map<FormatName, {id: number; bytes: number}>>;
  bytes: number;
  /** The most `bytes` reached since the last {@link resetNativeMemoryPeak}. */
  peakBytes: number;
  /**
   * Float32 tensors whose data exists only as their 16-bit copy so far (see
   * {@link deferredFloat32}): dataId → the format of that copy.
   */
  readonly deferred: Map<object, FormatName>;
  /** Float32 copies of deferred tensors made for the last op, deleted before the next. */
  readonly transients: number[];
  /** Their float32 bytes, which tfjs counts in `tf.memory()` but TF has not allocated. */
  deferredBytes: number;
}

const caches = new WeakMap<NodeBackend, BackendCache>();
/** dataId → the format its values are known to be rounded to. */
const rounded = new WeakMap<object, FormatName>();
/** dataId of a reshaped tensor → the tensor it reshapes (whose 16-bit copy it can reshape too). */
const reshapes = new WeakMap<object, TensorInfo>();

type DisposeData = (dataId: object, force?: boolean) => boolean;

/** A tfjs-node tensor entry; `id` is its TF handle (negative: none). */
interface TensorData {
  id: number;
  shape: number[];
  dtype: number;
}

interface TensorMapOwner {
  disposeData: DisposeData;
  getInputTensorIds(tensors: TensorInfo[]): number[];
  createOutputTensor(handle: {id: number; shape: number[]; dtype: number}): unknown;
  readSync(dataId: object): unknown;
  tensorMap: {has(dataId: object): boolean; get(dataId: object): TensorData | undefined};
}

/** The handle id of a deferred float32 tensor: none yet (tfjs-node skips negative ids). */
const DEFERRED_ID = -2;

function cacheOf(node: NodeBackend): BackendCache {
  let cache = caches.get(node);
  if (cache != null) return cache;
  const created: BackendCache = {
    halves: new Map(),
    bytes: 0,
    peakBytes: 0,
    deferred: new Map(),
    transients: [],
    deferredBytes: 0,
  };
  cache = created;
  caches.set(node, created);
  const owner = node as unknown as TensorMapOwner;
  // Free a dataId's 16-bit handles when tfjs-node frees the dataId itself.
  const dispose = owner.disposeData.bind(node);
  owner.disposeData = (dataId, force) => {
    const released = dispose(dataId, force);
    if (!owner.tensorMap.has(dataId)) {
      if (created.deferred.has(dataId)) undefer(created, dataId);
      if (created.halves.has(dataId)) freeEntry(node, created, dataId);
    }
    return released;
  };
  // Float32 reads of a deferred tensor (every op of tfjs-node takes its inputs through
  // getInputTensorIds; dataSync/data through readSync). While tfjs computes gradients, an op gets
  // a float32 copy of its own, deleted once it has run, and the tensor stays 16-bit: the forward
  // pass keeps its activations for the backward one, which reads them again (a batch norm reads a
  // convolution's output several times). Otherwise (an optimizer reading the gradients, a
  // prediction's output) the tensor gets its float32 data for good, and the 16-bit copy goes.
  const inputIds = owner.getInputTensorIds.bind(node);
  owner.getInputTensorIds = (tensors) => {
    dropTransients(node, created);
    if (created.deferred.size === 0) return inputIds(tensors);
    if (!inGradientComputation()) {
      for (const t of tensors) materialize(node, created, t.dataId as object);
      return inputIds(tensors);
    }
    const ids = inputIds(tensors);
    tensors.forEach((t, i) => {
      const format = created.deferred.get(t.dataId as object);
      if (format != null) ids[i] = widen(node, created, t.dataId as object, format);
    });
    return ids;
  };
  const createOutput = owner.createOutputTensor.bind(node);
  owner.createOutputTensor = (handle) => {
    dropTransients(node, created);
    return createOutput(handle);
  };
  const readSync = owner.readSync.bind(node);
  owner.readSync = (dataId) => {
    if (created.deferred.size > 0) materialize(node, created, dataId);
    return readSync(dataId);
  };
  return created;
}

/** A new float32 handle of a deferred tensor's values: its 16-bit copy cast (exact). */
function widened(
  node: NodeBackend,
  cache: BackendCache,
  dataId: object,
  format: FormatName,
): number {
  const half = cache.halves.get(dataId)!.get(format)!;
  const binding = node.binding;
  return binding.executeOp(
    'Cast',
    castAttrs(binding, TF_DTYPES[format]!, binding.TF_FLOAT),
    [half.id],
    1,
  )[0]!.id;
}

/**
 * A float32 copy of a deferred tensor for the op about to run, deleted after it (see
 * {@link dropTransients}): the tensor stays deferred.
 */
function widen(node: NodeBackend, cache: BackendCache, dataId: object, format: FormatName): number {
  const id = widened(node, cache, dataId, format);
  cache.transients.push(id);
  return id;
}

/** Deletes the float32 copies {@link widen} made for the op that ran last. */
function dropTransients(node: NodeBackend, cache: BackendCache): void {
  if (cache.transients.length === 0) return;
  for (const id of cache.transients) node.binding.deleteTensor(id);
  cache.transients.length = 0;
}

/**
 * Whether tfjs is computing gradients (`tf.grads`, `optimizer.minimize`): recording the forward
 * pass (a tape is active) or running the backward pass (the tape is kept until it ends).
 */
function inGradientComputation(): boolean {
  const state = (tf.engine() as unknown as {state: {activeTape: unknown; gradientDepth: number}})
    .state;
  return state.gradientDepth > 0 || state.activeTape != null;
}

function undefer(cache: BackendCache, dataId: object): void {
  const format = cache.deferred.get(dataId);
  if (format == null) return;
  cache.deferred.delete(dataId);
  const half = cache.halves.get(dataId)?.get(format);
  if (half != null) cache.deferredBytes -= 2 * half.bytes;
}

/**
 * Casts a deferred tensor's 16-bit copy to float32 (exact) and makes it the tensor's data. The
 * 16-bit copy is freed then: outside a gradient computation (an optimizer reading a gradient,
 * code reading a prediction) no native product reads it again.
 */
function materialize(node: NodeBackend, cache: BackendCache, dataId: object): void {
  const format = cache.deferred.get(dataId);
  if (format == null) return;
  const info = (node as unknown as TensorMapOwner).tensorMap.get(dataId)!;
  info.id = widened(node, cache, dataId, format);
  undefer(cache, dataId);
  freeEntry(node, cache, dataId);
}

/**
 * A float32 tfjs tensor of `shape` whose data is, for now, only the 16-bit handle `half` (owned by
 * the cache from here): no float32 copy exists until something reads it as float32, which casts
 * it then (exact). A native kernel reading it takes the 16-bit handle as it is. So activations
 * that only native kernels read live in 16 bits: what mixed precision saves in memory.
 * `tf.memory()` still counts them as float32; `nativeMemory().deferredBytes` says how much of
 * that does not exist.
 */
export function deferredFloat32(node: NodeBackend, half: TfHandle, format: FormatName): TensorInfo {
  const cache = cacheOf(node);
  const result = node.createOutputTensor({
    id: DEFERRED_ID,
    shape: half.shape,
    dtype: node.binding.TF_FLOAT,
  });
  storeHalf(node, result, format, half.id);
  cache.deferred.set(result.dataId as object, format);
  cache.deferredBytes += 4 * half.shape.reduce((a, b) => a * b, 1);
  markRoundedData(result, format);
  return result;
}

/**
 * `x` reshaped to `shape` without giving it float32 data, when `x` is deferred: its 16-bit copy
 * reshaped (a TF Reshape, no copy), as a new deferred tensor. Null when `x` is not deferred.
 */
export function reshapeDeferred(
  node: NodeBackend,
  x: TensorInfo,
  shape: readonly number[],
): TensorInfo | null {
  const cache = caches.get(node);
  const format = cache?.deferred.get(x.dataId as object);
  if (cache == null || format == null) return null;
  const half = cache.halves.get(x.dataId as object)!.get(format)!;
  const scope = new HandleScope(node.binding);
  try {
    const reshaped = scope.release(reshapeHalf(scope, half.id, shape, format));
    return deferredFloat32(node, reshaped, format);
  } finally {
    scope.dispose();
  }
}

function freeEntry(node: NodeBackend, cache: BackendCache, dataId: object): void {
  const entry = cache.halves.get(dataId);
  if (entry == null) return;
  cache.halves.delete(dataId);
  for (const {id, bytes} of entry.values()) {
    node.binding.deleteTensor(id);
    cache.bytes -= bytes;
  }
}

/**
 * The 16-bit format (float16 or bfloat16) in which every one of `tensors` is float32 holding only
 * that format's values and has its 16-bit copy (native outputs, gradients native products passed
 * down), or undefined: where a kernel can run on the copies as they are.
 */
export function sharedHalfFormat(
  node: NodeBackend,
  tensors: readonly TensorInfo[],
): FormatName | undefined {
  return NATIVE_COMPUTE_FORMATS.find((format) =>
    tensors.every(
      (t) =>
        t.dtype === 'float32' && isRoundedData(t, format) && cachedHalf(node, t, format) != null,
    ),
  );
}

/** The cached 16-bit handle of `t` in `format`, or undefined. */
export function cachedHalf(
  node: NodeBackend,
  t: TensorInfo,
  format: FormatName,
): number | undefined {
  return caches
    .get(node)
    ?.halves.get(t.dataId as object)
    ?.get(format)?.id;
}

/**
 * Records that `out` is `x` reshaped (tfjs's fused ops and layers reshape between kernels): `out`
 * is rounded when `x` is, and its 16-bit copy is `x`'s, reshaped (a TF Reshape, no cast) when a
 * native kernel asks for it.
 */
export function recordReshape(x: TensorInfo, out: TensorInfo): void {
  const format = rounded.get(x.dataId as object);
  if (format != null) rounded.set(out.dataId as object, format);
  reshapes.set(out.dataId as object, reshapes.get(x.dataId as object) ?? x);
}

/** A 16-bit handle reshaped (TF's Reshape shares the buffer: no copy), tracked by `scope`. */
function reshapeHalf(
  scope: HandleScope,
  halfId: number,
  shape: readonly number[],
  format: FormatName,
): TfHandle {
  const binding = scope.binding;
  return scope.run(
    'Reshape',
    [typeAttr(binding, 'T', TF_DTYPES[format]!), typeAttr(binding, 'Tshape', binding.TF_INT32)],
    [halfId, scope.int32(shape)],
  );
}

/** `t`'s 16-bit copy made by reshaping the cached copy of the tensor it reshapes, if any. */
function reshapedHalf(
  node: NodeBackend,
  scope: HandleScope,
  t: TensorInfo,
  format: FormatName,
): number | undefined {
  const source = reshapes.get(t.dataId as object);
  if (source == null) return undefined;
  const half = cachedHalf(node, source, format);
  if (half == null) return undefined;
  const out = reshapeHalf(scope, half, t.shape, format);
  scope.release(out);
  storeHalf(node, t, format, out.id);
  return out.id;
}

/**
 * Keeps `id` (a handle of `t`'s values in `format`; ownership passes to the cache) as `t`'s
 * 16-bit copy. A second copy for the same tensor and format is deleted at once.
 */
export function storeHalf(node: NodeBackend, t: TensorInfo, format: FormatName, id: number): void {
  const cache = cacheOf(node);
  const dataId = t.dataId as object;
  let entry = cache.halves.get(dataId);
  if (entry == null) {
    entry = new Map();
    cache.halves.set(dataId, entry);
  }
  if (entry.has(format)) {
    node.binding.deleteTensor(id);
    return;
  }
  const bytes = 2 * t.shape.reduce((a, b) => a * b, 1);
  entry.set(format, {id, bytes});
  cache.bytes += bytes;
  if (cache.bytes > cache.peakBytes) cache.peakBytes = cache.bytes;
}

/**
 * `t` in `format` as a TF handle, kept in the cache: its cached copy, its copy made by reshaping
 * the cached copy of the tensor it reshapes, or a new Cast(float32 → format). Only the last reads
 * `t`'s float32 handle, so a deferred tensor with a copy in the format is not materialized. TF's
 * Cast rounds to nearest even exactly as `quantize` does (checked over every float32 by the
 * conformance sweep).
 */
export function halfOf(
  node: NodeBackend,
  scope: HandleScope,
  t: TensorInfo,
  format: FormatName,
): number {
  const cached = cachedHalf(node, t, format) ?? reshapedHalf(node, scope, t, format);
  if (cached != null) return cached;
  // The float32 handle is owned by its tfjs tensor, never deleted here.
  const [floatId] = node.getInputTensorIds([t]);
  const half = scope.cast(floatId!, node.binding.TF_FLOAT, TF_DTYPES[format]!);
  scope.release(half);
  storeHalf(node, t, format, half.id);
  return half.id;
}

/**
 * `t` (a matrix, or a batch of one matrix: `[m, k]` or `[1, m, k]`) in `format` as a 2-D handle:
 * its 16-bit copy ({@link halfOf}) or, for a batch of one
 * that tfjs reshaped from a matrix whose copy is cached, that matrix's copy itself; else the copy
 * reshaped (a TF Reshape, no copy, tracked by `scope`).
 */
export function halfMatrix(
  node: NodeBackend,
  scope: HandleScope,
  t: TensorInfo,
  format: FormatName,
): number {
  if (t.shape.length === 3) {
    // Only a matrix of the same rows and columns: [m, k] and [1, m, k] lie alike in memory, a
    // [k, m] (or any other) matrix reshaped to [1, m, k] does not.
    const source = reshapes.get(t.dataId as object);
    const same =
      source != null &&
      source.shape.length === 2 &&
      source.shape[0] === t.shape[1] &&
      source.shape[1] === t.shape[2];
    const sourceHalf = same ? cachedHalf(node, source, format) : undefined;
    if (sourceHalf != null) return sourceHalf;
  }
  const half = halfOf(node, scope, t, format);
  return t.shape.length === 2 ? half : reshapeHalf(scope, half, t.shape.slice(1), format).id;
}

/** Records that `t`'s float32 values are all representable in `format`. */
export function markRoundedData(t: TensorInfo, format: FormatName): void {
  rounded.set(t.dataId as object, format);
}

/** Whether `t`'s float32 values are known to be representable in `format`. */
export function isRoundedData(t: TensorInfo, format: FormatName): boolean {
  return rounded.get(t.dataId as object) === format;
}

/**
 * Frees the 16-bit copies the cast cache holds for `tensors` (tfjs-node; elsewhere nothing to
 * do). A tensor held only in 16 bits (a native output no float32 code has kept) gets its float32
 * data first, by an exact cast. For code that reads tensors in float32 from here on and never in
 * 16 bits: an optimizer step reads each gradient and weight once in float32 and then replaces the
 * weight, so their copies would only sit beside the float32 data until the step ends. Values are
 * unchanged; a later native kernel reading one of them casts it again.
 * @example
 * dropHalfCopies([variable, gradient]); // before the update of `variable`
 */
export function dropHalfCopies(tensors: readonly TensorInfo[]): void {
  if (tf.findBackendFactory('tensorflow') == null) return;
  const node = asNodeBackend(tf.findBackend('tensorflow'));
  const cache = node == null ? undefined : caches.get(node);
  if (node == null || cache == null) return;
  for (const t of tensors) {
    const dataId = t.dataId as object;
    if (cache.deferred.has(dataId)) materialize(node, cache, dataId);
    else freeEntry(node, cache, dataId);
  }
}

/** What {@link nativeMemory} reports. */
export interface NativeMemory {
  /** 16-bit handles the cast cache holds now. */
  readonly handles: number;
  /** Their bytes (2 per element): memory TF holds that `tf.memory()` does not count. */
  readonly bytes: number;
  /** The most bytes held at once since the last {@link resetNativeMemoryPeak} (a step's peak). */
  readonly peakBytes: number;
  /**
   * Float32 bytes `tf.memory()` counts for tensors that exist only as their 16-bit copy (native
   * outputs no float32 code has read yet): memory tfjs reports that TF has not allocated.
   */
  readonly deferredBytes: number;
}

/**
 * The memory the native kernels hold beside tfjs's tensors on the `tensorflow` backend: the
 * 16-bit copies in the cast cache. `tf.memory()` counts only tfjs tensors (4 bytes per float32
 * element), so the process holds `tf.memory().numBytes + nativeMemory().bytes` in tensors.
 * Zero on other backends.
 * @example
 * const {bytes} = nativeMemory(); // after a mixed_bfloat16 step on tfjs-node
 */
export function nativeMemory(): NativeMemory {
  if (tf.findBackendFactory('tensorflow') == null) return cacheMemory(null);
  return cacheMemory(asNodeBackend(tf.findBackend('tensorflow')));
}

/** {@link nativeMemory} of one backend. */
export function cacheMemory(node: NodeBackend | null): NativeMemory {
  const cache = node == null ? undefined : caches.get(node);
  if (cache == null) return Object.freeze({handles: 0, bytes: 0, peakBytes: 0, deferredBytes: 0});
  let handles = 0;
  for (const entry of cache.halves.values()) handles += entry.size;
  return Object.freeze({
    handles,
    bytes: cache.bytes,
    peakBytes: cache.peakBytes,
    deferredBytes: cache.deferredBytes,
  });
}

/**
 * Starts a new peak for {@link nativeMemory}'s `peakBytes` (at the bytes held now): call it
 * before a step to read the step's peak after it.
 */
export function resetNativeMemoryPeak(): void {
  if (tf.findBackendFactory('tensorflow') == null) return;
  const node = asNodeBackend(tf.findBackend('tensorflow'));
  const cache = node == null ? undefined : caches.get(node);
  if (cache != null) cache.peakBytes = cache.bytes;
}

/**
 * The well-known hook leak checks read (tools/test-utils): how many of the backend's native
 * handles belong to the cast cache, i.e. to live tfjs tensors, not to the code under test.
 */
export const CACHE_HANDLES_HOOK = Symbol.for('@tfjs-amp/kernels:cast-cache-handles');
(globalThis as Record<symbol, unknown>)[CACHE_HANDLES_HOOK] = (backend: unknown): number => {
  const node = asNodeBackend(backend);
  const cache = node == null ? undefined : caches.get(node);
  // A deferred tensor's 16-bit copy is its data: it counts as the tensor's handle.
  return cacheMemory(node).handles - (cache?.deferred.size ?? 0) + (cache?.transients.length ?? 0);
};
