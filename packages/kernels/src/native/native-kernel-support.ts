import * as tf from '@tensorflow/tfjs';
import type {FormatName} from '../formats/format-spec.js';
import {resolveFormat} from '../formats/index.js';
import {describeValue, wrongType} from '../internal/errors.js';
import {ensureAmpKernels} from '../kernels/register-kernels.js';
import {asNodeBackend, isNativeComputeFormat} from './binding.js';
import {isNativeOpSupported, type NativeOpName} from './probe.js';
import {warnOnce} from './warn-once.js';

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

/**
 * The tfjs kernel names (`BatchMatMul`, `Conv2D`, `Conv2DBackpropFilter`, ...) that run natively
 * in `format` inside {@link withComputeFormat} on `backendName` (default: the active backend),
 * sorted. Empty for every backend but `tensorflow` (tfjs-node, tfjs-node-gpu), for formats other
 * than float16 and bfloat16, and when tfjs-node is not loaded. On `tensorflow`, each kernel's TF
 * op is probed once on the device (a 1×1 op in `format`), so a GPU without, say, bfloat16
 * convolutions reports them missing, with a one-time notice that they are emulated.
 *
 * Meant for `@tfjs-amp/policy` (which layers run natively, for `describePolicy`) and for users
 * who want to know before they train. The first call on a backend costs one tiny op per kernel.
 * @throws TypeError when `format` is unknown or `backendName` is not a string.
 * @example
 * nativeKernelSupport('bfloat16', 'tensorflow') // ['BatchMatMul', 'Conv2D', ...] on tfjs-node
 * nativeKernelSupport('float16', 'cpu') // []
 */
export function nativeKernelSupport(
  format: FormatName,
  backendName: string = tf.getBackend(),
): readonly string[] {
  const spec = resolveFormat(format, 'nativeKernelSupport');
  if (typeof backendName !== 'string') {
    throw wrongType('nativeKernelSupport', 'backendName', 'a string', describeValue(backendName));
  }
  if (backendName !== 'tensorflow' || !isNativeComputeFormat(spec.name)) return NONE;
  if (tf.findBackendFactory('tensorflow') == null) return NONE;
  const node = asNodeBackend(tf.findBackend('tensorflow'));
  if (node == null) return NONE;
  ensureAmpKernels('tensorflow');
  const supported: string[] = [];
  for (const [kernelName, op] of Object.entries(NATIVE_KERNEL_OPS)) {
    if (tf.getKernel(kernelName, 'tensorflow') == null) continue;
    if (isNativeOpSupported(node, op, spec.name)) {
      supported.push(kernelName);
    } else {
      warnOnce(
        `native/${op}/${spec.name}`,
        `tfjs-amp: TensorFlow has no ${spec.name} ${op} kernel on this device` +
          `${node.binding.isUsingGpuDevice() ? ' (GPU)' : ''}; ${kernelName} is emulated ` +
          '(float32 arithmetic, rounded at the cast points).',
      );
    }
  }
  return Object.freeze(supported.sort());
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
