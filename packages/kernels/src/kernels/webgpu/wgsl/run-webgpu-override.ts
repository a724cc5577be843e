import * as tf from '@tensorflow/tfjs';
import type {KernelFunc, NamedAttrMap, TensorInfo} from '@tensorflow/tfjs';
import {backwardFormat, markForBackward} from '../../../native/backward-marks.js';
import {getComputeFormat} from '../../../native/context.js';
import {originalKernel} from '../../../native/overrides.js';
import {deviceHasShaderF16, warnNoShaderF16} from './shader-f16.js';
import {asWebGPUBackend, type WebGPUBackendLike} from './wgsl-program.js';

/** What a webgpu override receives (tfjs's KernelFunc arguments). */
export interface WebGPUOverrideArgs {
  inputs: Record<string, TensorInfo | undefined>;
  backend: unknown;
  attrs?: NamedAttrMap;
}

/** What an override needs to decide and to run its WGSL float16 kernel. */
export interface WebGPUKernelPlan {
  /** tfjs kernel name (the override's and the original's). */
  readonly kernelName: string;
  /** The float inputs the kernel reads in float16 (forward inputs get marked for backward). */
  readonly matrixInputs: readonly TensorInfo[];
  /** Runs the float16 kernel; returns null to delegate (a case it does not cover). */
  readonly run: (backend: WebGPUBackendLike) => TensorInfo | null;
}

/**
 * The body shared by the webgpu overrides, as `runOverride` is for tfjs-node's: in a float16
 * compute context (the innermost `withComputeFormat`, or the forward kernel's format in its
 * backward pass), on a device created with `shader-f16`, the WGSL float16 kernel; anything else
 * (no context, another format, non-float32 inputs, empty outputs, a case the kernel delegates):
 * the backend's own float32 kernel, exactly as without tfjs-amp. A device without `shader-f16`
 * prints a one-time notice (the policy's rounding then emulates float16).
 */
export function runWebGPUOverride(
  args: WebGPUOverrideArgs,
  plan: WebGPUKernelPlan,
): TensorInfo | TensorInfo[] {
  const original = originalKernel(plan.kernelName, 'webgpu');
  const delegate = (): TensorInfo | TensorInfo[] => original(args as Parameters<KernelFunc>[0]);
  if (plan.matrixInputs.some((x) => x.dtype !== 'float32')) return delegate();
  const format = getComputeFormat() ?? backwardFormat(plan.matrixInputs);
  if (format !== 'float16') return delegate();
  const backend = asWebGPUBackend(args.backend);
  if (backend == null) return delegate();
  if (!deviceHasShaderF16(backend)) {
    warnNoShaderF16(plan.kernelName);
    return delegate();
  }
  if (plan.matrixInputs.some((x) => tf.util.sizeFromShape(x.shape) === 0)) return delegate();
  const result = plan.run(backend);
  if (result == null) return delegate();
  markForBackward(plan.matrixInputs, format);
  return result;
}
