import * as tf from '@tensorflow/tfjs';
import type {FormatName} from '../formats/format-spec.js';
import {resolveFormat} from '../formats/index.js';
import {describeValue, wrongType} from '../internal/errors.js';
import {ensureAmpKernels} from '../kernels/register-kernels.js';
import {asNodeBackend, isNativeComputeFormat, type NodeBackend} from '../native/binding.js';
import {
  decideNative,
  dispatchState,
  isSmallProduct,
  type NativeDispatch,
  type NativeReason,
} from '../native/dispatch.js';
import type {NativeOpName} from '../native/probe.js';

/**
 * The tfjs kernels that can run natively in a compute format, with the TF op each one runs,
 * sorted by kernel name. `_FusedMatMul` runs through BatchMatMul (tfjs-node composes it).
 */
export const NATIVE_KERNEL_OPS: Readonly<Record<string, NativeOpName>> = Object.freeze({
  BatchMatMul: 'BatchMatMulV2',
  Conv2D: 'Conv2D',
  Conv2DBackpropFilter: 'Conv2DBackpropFilter',
  Conv2DBackpropInput: 'Conv2DBackpropInput',
  DepthwiseConv2dNative: 'DepthwiseConv2dNative',
  DepthwiseConv2dNativeBackpropFilter: 'DepthwiseConv2dNativeBackpropFilter',
  DepthwiseConv2dNativeBackpropInput: 'DepthwiseConv2dNativeBackpropInput',
  FusedConv2D: 'Conv2D',
  FusedDepthwiseConv2D: 'DepthwiseConv2dNative',
  _FusedMatMul: 'BatchMatMulV2',
});

const NONE: readonly string[] = Object.freeze([]);

/** One row of {@link nativeKernelReport}: how one tfjs kernel runs in a format, and why. */
export interface NativeKernelRow {
  /** tfjs kernel name, e.g. `Conv2DBackpropFilter`. */
  readonly kernel: string;
  /** The TF op it runs natively. */
  readonly op: NativeOpName;
  readonly native: boolean;
  /** `native`, or why not (see {@link NativeReason}). */
  readonly reason: NativeReason;
  /** One sentence: what was decided and on which facts (CPU flags, probes). */
  readonly detail: string;
}

/** Options of {@link nativeKernelReport}. */
export interface NativeKernelReportOptions {
  /**
   * The multiply-adds of the product the answer is for (a Dense layer's: rows · inputs · units):
   * on a CPU with avx512f, a product of at most 2^24 runs natively in a format the CPU has no
   * units for, where emulating it costs more. Unset: the answer for products in general.
   */
  readonly macs?: number;
}

/**
 * How each native-capable tfjs kernel (`BatchMatMul`, `Conv2D`, `Conv2DBackpropFilter`, ...) runs
 * in `format` inside {@link withComputeFormat} on `backendName` (default: the active backend),
 * sorted by kernel: native or not, and why ({@link decideNative} under the current
 * {@link NativeDispatch} mode: the TF kernel exists, sums in float32, and this device runs it
 * faster than float32). Empty for every backend but `tensorflow` (tfjs-node, tfjs-node-gpu), for
 * formats other than float16 and bfloat16, and when tfjs-node is not loaded. The first call on a
 * backend runs one tiny probe per op (existence, then accumulation).
 * @throws TypeError when `format` is unknown or `backendName` is not a string.
 * @example
 * console.table(nativeKernelReport('bfloat16'));
 */
export function nativeKernelReport(
  format: FormatName,
  backendName: string = tf.getBackend(),
  options: NativeKernelReportOptions = {},
): readonly NativeKernelRow[] {
  const spec = resolveFormat(format, 'nativeKernelReport');
  if (typeof backendName !== 'string') {
    throw wrongType('nativeKernelReport', 'backendName', 'a string', describeValue(backendName));
  }
  if (backendName === 'webgpu') return webgpuReport(spec.name);
  if (backendName !== 'tensorflow' || !isNativeComputeFormat(spec.name)) return [];
  if (tf.findBackendFactory('tensorflow') == null) return [];
  const node = asNodeBackend(tf.findBackend('tensorflow'));
  if (node == null) return [];
  ensureAmpKernels('tensorflow');
  // A policy asks on every layer call: the rows are remembered per backend and dispatch state,
  // and per product size only where the small-product rule can use it.
  const macs = options.macs;
  const small = isSmallProduct(macs);
  const key = `${spec.name}/${dispatchState()}/${small ? macs : '-'}`;
  let cache = reports.get(node);
  if (cache == null || cache.size > 64) {
    cache = new Map();
    reports.set(node, cache);
  }
  let rows = cache.get(key);
  if (rows == null) {
    const built: NativeKernelRow[] = [];
    for (const [kernel, op] of Object.entries(NATIVE_KERNEL_OPS)) {
      if (tf.getKernel(kernel, 'tensorflow') == null) continue;
      const {native, reason, detail} = decideNative(node, op, spec.name, small ? macs : undefined);
      built.push(Object.freeze({kernel, op, native, reason, detail}));
    }
    rows = Object.freeze(built);
    cache.set(key, rows);
  }
  return rows;
}

/** {@link nativeKernelReport}'s answers per tfjs-node backend. */
const reports = new WeakMap<NodeBackend, Map<string, readonly NativeKernelRow[]>>();

/**
 * The webgpu backend's rows: tfjs-amp's WGSL kernels compute float16 (f16 operands, float32 sums,
 * one rounding) on a device created with `shader-f16` (see `requestShaderF16`); bfloat16 has no
 * WGSL type. Read from the backend's device, which exists once the backend has started.
 */
function webgpuReport(format: FormatName): readonly NativeKernelRow[] {
  if (format !== 'float16' || tf.findBackendFactory('webgpu') == null) return [];
  const backend = tf.findBackend('webgpu') as {device?: {features?: {has(f: string): boolean}}};
  const f16 = backend?.device?.features?.has('shader-f16') === true;
  ensureAmpKernels('webgpu');
  return Object.freeze(
    Object.entries(NATIVE_KERNEL_OPS).map(([kernel, op]) =>
      Object.freeze({
        kernel,
        op,
        native: f16,
        reason: (f16 ? 'native' : 'no-kernel') as NativeReason,
        detail: f16
          ? `float16 ${kernel} runs as tfjs-amp's WGSL kernel (shader-f16: f16 operands, float32 sums)`
          : "the webgpu device was created without 'shader-f16' (call requestShaderF16() before " +
            "tf.setBackend('webgpu'))",
      }),
    ),
  );
}

/**
 * The tfjs kernel names that run natively in `format` inside {@link withComputeFormat} on
 * `backendName` (default: the active backend), sorted: the `native` rows of
 * {@link nativeKernelReport}. Empty for every backend but `tensorflow`, for formats other than
 * float16 and bfloat16, and when tfjs-node is not loaded.
 *
 * Meant for `@tfjs-amp/policy` (which layers run natively, for `describePolicy`) and for users
 * who want to know before they train.
 * @throws TypeError when `format` is unknown or `backendName` is not a string.
 * @example
 * nativeKernelSupport('bfloat16', 'tensorflow') // ['BatchMatMul', 'Conv2D', ...] on a CPU with avx512_bf16
 * nativeKernelSupport('float16', 'cpu') // []
 */
export function nativeKernelSupport(
  format: FormatName,
  backendName: string = tf.getBackend(),
): readonly string[] {
  resolveFormat(format, 'nativeKernelSupport');
  if (typeof backendName !== 'string') {
    throw wrongType('nativeKernelSupport', 'backendName', 'a string', describeValue(backendName));
  }
  const rows = nativeKernelReport(format, backendName);
  if (rows.length === 0) return NONE;
  return Object.freeze(rows.filter((r) => r.native).map((r) => r.kernel));
}

/** What {@link nativeBackendInfo} reports. */
export interface NativeBackendInfo {
  /** libtensorflow's version, e.g. `2.21.0`. */
  readonly tensorflowVersion: string;
  /** Where TF runs ops by default: `gpu` with tfjs-node-gpu and a visible CUDA device, else `cpu`. */
  readonly device: 'cpu' | 'gpu';
}

/**
 * libtensorflow's version and device when the `tensorflow` backend (tfjs-node or tfjs-node-gpu)
 * is registered, else null. Starts the backend if it is registered but not started yet.
 * @example
 * nativeBackendInfo() // {tensorflowVersion: '2.21.0', device: 'cpu'}
 */
export function nativeBackendInfo(): NativeBackendInfo | null {
  if (tf.findBackendFactory('tensorflow') == null) return null;
  const node = asNodeBackend(tf.findBackend('tensorflow'));
  if (node == null) return null;
  return Object.freeze({
    tensorflowVersion: node.binding.TF_Version,
    device: node.binding.isUsingGpuDevice() ? 'gpu' : 'cpu',
  });
}
