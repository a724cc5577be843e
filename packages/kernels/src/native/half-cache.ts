import * as tf from '@tensorflow/tfjs';
import type {TensorInfo} from '@tensorflow/tfjs';
import type {FormatName} from '../formats/format-spec.js';
import {asNodeBackend, type HandleScope, type NodeBackend, TF_DTYPES} from './binding.js';

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
}

const caches = new WeakMap<NodeBackend, BackendCache>();
/** dataId → the format its values are known to be rounded to. */
const rounded = new WeakMap<object, FormatName>();
/** dataId of a reshaped tensor → the tensor it reshapes (whose 16-bit copy it can reshape too). */
const reshapes = new WeakMap<object, TensorInfo>();

type DisposeData = (dataId: object, force?: boolean) => boolean;

interface TensorMapOwner {
  disposeData: DisposeData;
  tensorMap: {has(dataId: object): boolean};
}

function cacheOf(node: NodeBackend): BackendCache {
  let cache = caches.get(node);
  if (cache != null) return cache;
  const created: BackendCache = {halves: new Map(), bytes: 0, peakBytes: 0};
  cache = created;
  caches.set(node, created);
  // Free a dataId's 16-bit handles when tfjs-node frees the dataId itself.
  const owner = node as unknown as TensorMapOwner;
  const dispose = owner.disposeData.bind(node);
  owner.disposeData = (dataId, force) => {
    const released = dispose(dataId, force);
    if (created.halves.has(dataId) && !owner.tensorMap.has(dataId)) {
      freeEntry(node, created, dataId);
    }
    return released;
  };
  return created;
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
  const shape = scope.int32(t.shape);
  const out = scope.run(
    'Reshape',
    [
      {name: 'T', type: node.binding.TF_ATTR_TYPE, value: TF_DTYPES[format]!},
      {name: 'Tshape', type: node.binding.TF_ATTR_TYPE, value: node.binding.TF_INT32},
    ],
    [half, shape],
  );
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
 * `t` in `format` as a TF handle: the cached copy, or a new Cast(float32 → format) that is cached
 * when `keep` (else tracked by `scope` and deleted with it). TF's Cast rounds to nearest even
 * exactly as `quantize` does (checked over every float32 by the conformance sweep).
 */
export function halfOf(
  node: NodeBackend,
  scope: HandleScope,
  t: TensorInfo,
  floatId: number,
  format: FormatName,
  keep: boolean,
): number {
  const cached = cachedHalf(node, t, format) ?? reshapedHalf(node, scope, t, format);
  if (cached != null) return cached;
  const dtype = TF_DTYPES[format]!;
  const half = scope.cast(floatId, node.binding.TF_FLOAT, dtype);
  if (!keep) return half.id;
  scope.release(half);
  storeHalf(node, t, format, half.id);
  return half.id;
}

/** Records that `t`'s float32 values are all representable in `format`. */
export function markRoundedData(t: TensorInfo, format: FormatName): void {
  rounded.set(t.dataId as object, format);
}

/** Whether `t`'s float32 values are known to be representable in `format`. */
export function isRoundedData(t: TensorInfo, format: FormatName): boolean {
  return rounded.get(t.dataId as object) === format;
}

/** What {@link nativeMemory} reports. */
export interface NativeMemory {
  /** 16-bit handles the cast cache holds now. */
  readonly handles: number;
  /** Their bytes (2 per element): memory TF holds that `tf.memory()` does not count. */
  readonly bytes: number;
  /** The most bytes held at once since the last {@link resetNativeMemoryPeak} (a step's peak). */
  readonly peakBytes: number;
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
  if (cache == null) return Object.freeze({handles: 0, bytes: 0, peakBytes: 0});
  let handles = 0;
  for (const entry of cache.halves.values()) handles += entry.size;
  return Object.freeze({handles, bytes: cache.bytes, peakBytes: cache.peakBytes});
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
(globalThis as Record<symbol, unknown>)[CACHE_HANDLES_HOOK] = (backend: unknown): number =>
  cacheMemory(asNodeBackend(backend)).handles;
