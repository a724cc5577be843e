import * as tf from '@tensorflow/tfjs';
import {cpuFeatures, nativeBackendInfo, nativeKernelReport} from '@tfjs-amp/kernels';
import {describeValue, wrongType} from './internal/errors.js';
import type {PolicyName} from './policy.js';

/** What {@link recommendedPolicy} returns. */
export interface PolicyRecommendation {
  /** `mixed_bfloat16`, `mixed_float16` or `float32`. */
  readonly policy: PolicyName;
  /** Whether the recommended policy's matrix work runs natively here (else it is float32). */
  readonly native: boolean;
  /** Why, on which facts: the backend, the device, the CPU flags, the dispatch's findings. */
  readonly reason: string;
}

/**
 * The policy that makes training faster on this backend and device, or `float32` with the reason
 * when no mixed policy would. On tfjs-node (`tensorflow`), from the native dispatch
 * (`nativeKernelReport` in @tfjs-amp/kernels): `mixed_bfloat16` where TF's bfloat16 matrix kernels
 * sum in float32 and the device has bfloat16 units (avx512_bf16 or amx_bf16 CPUs, GPUs);
 * otherwise `mixed_float16` where float16 ones do (amx_fp16 CPUs, GPUs without bfloat16; train
 * it with a LossScaleOptimizer); otherwise `float32`. Elsewhere (cpu, wasm, webgl, webgpu) a mixed
 * policy is emulated, about 1.05x float32's time: `float32`, unless you want the format's
 * numerics (to check a model before training it on 16-bit hardware).
 *
 * Keras and PyTorch leave the choice to the user; this says what tfjs-amp measured and probed.
 * @throws TypeError when `backendName` is not a string.
 * @example
 * const {policy, reason} = recommendedPolicy();
 * console.log(`${policy}: ${reason}`);
 * applyPolicy(model, policy);
 */
export function recommendedPolicy(backendName: string = tf.getBackend()): PolicyRecommendation {
  if (typeof backendName !== 'string') {
    throw wrongType('recommendedPolicy', 'backendName', 'a string', describeValue(backendName));
  }
  if (backendName !== 'tensorflow' || nativeBackendInfo() == null) {
    return Object.freeze({
      policy: 'float32',
      native: false,
      reason:
        `the ${backendName} backend has no native 16-bit kernels: a mixed policy is emulated ` +
        '(float32 arithmetic rounded at the cast points, about 1.05x float32), useful for its ' +
        'numerics, not for speed',
    });
  }
  for (const format of ['bfloat16', 'float16'] as const) {
    const matMul = nativeKernelReport(format, 'tensorflow').find((r) => r.kernel === 'BatchMatMul');
    if (matMul?.native) {
      return Object.freeze({
        policy: `mixed_${format}` as PolicyName,
        native: true,
        reason:
          matMul.detail + (format === 'float16' ? '; train it with a LossScaleOptimizer' : ''),
      });
    }
  }
  const cpu = cpuFeatures();
  const why = nativeKernelReport('bfloat16', 'tensorflow').find(
    (r) => r.kernel === 'BatchMatMul',
  )?.detail;
  return Object.freeze({
    policy: 'float32',
    native: false,
    reason:
      `no 16-bit kernel is faster than float32 here (${why ?? `CPU ${cpu.model}`}): a mixed ` +
      'policy would be emulated, about 1.05x float32',
  });
}
