import * as tf from '@tensorflow/tfjs';
import type {ResolvedLossScaleOptions} from './options.js';

/** The mode a {@link LossScaleOptimizer} runs its steps in, once `'auto'` is decided. */
export type StepMode = 'sync' | 'device';

/** Backends whose every read back stalls a GPU queue; `'auto'` picks `'device'` on them. */
export const DEVICE_MODE_BACKENDS: readonly string[] = Object.freeze(['webgl', 'webgpu']);

/**
 * Decides `'auto'` for the backend active now (named `backendName`, default `tf.getBackend()`;
 * `backend` is that backend's object, default `tf.findBackend(backendName)`):
 * `'device'` on webgl, webgpu and tfjs-node's `tensorflow` backend when it runs on a GPU
 * (`isUsingGpuDevice`), `'sync'` elsewhere (cpu, wasm, tfjs-node on the CPU), and `'sync'` when
 * a scale factor is not a float32 value (`'device'` multiplies in float32, `'sync'` in double then
 * rounds, as PyTorch). `'sync'` and `'device'` are returned as they are.
 * @example
 * stepModeFor(resolveLossScaleOptions(), 'webgl') // 'device'
 */
export function stepModeFor(
  options: Pick<ResolvedLossScaleOptions, 'mode' | 'growthFactor' | 'backoffFactor'>,
  backendName: string = tf.getBackend(),
  backend: unknown = tf.findBackend(backendName),
): StepMode {
  if (options.mode !== 'auto') return options.mode;
  const exactFactors =
    Math.fround(options.growthFactor) === options.growthFactor &&
    Math.fround(options.backoffFactor) === options.backoffFactor;
  if (!exactFactors) return 'sync';
  if (DEVICE_MODE_BACKENDS.includes(backendName)) return 'device';
  if (backendName === 'tensorflow') {
    return (backend as {isUsingGpuDevice?: boolean} | null)?.isUsingGpuDevice === true
      ? 'device'
      : 'sync';
  }
  return 'sync';
}

/**
 * Checks that `'device'` mode can run the scale rule exactly: on backends without the host kernel
 * (`hostRule` false: webgl, webgpu, tensorflow) the scale is multiplied on the device in float32,
 * which equals {@link nextScale}'s double product rounded to float32 only for float32 factors.
 * @throws RangeError naming the factor and the fix.
 * @example
 * checkDeviceFactors(resolveLossScaleOptions({backoffFactor: 0.3}), false) // RangeError
 */
export function checkDeviceFactors(
  options: Pick<ResolvedLossScaleOptions, 'growthFactor' | 'backoffFactor'>,
  hostRule: boolean,
  backendName: string = tf.getBackend(),
): void {
  if (hostRule) return;
  for (const [name, factor] of [
    ['growthFactor', options.growthFactor],
    ['backoffFactor', options.backoffFactor],
  ] as const) {
    if (Math.fround(factor) !== factor) {
      throw new RangeError(
        `LossScaleOptimizer: ${name} must be a float32 value with mode 'device' on the ` +
          `'${backendName}' backend (the scale is multiplied on the device in float32); got ` +
          `${factor}. Use Math.fround(${factor}) = ${Math.fround(factor)}, or mode 'sync'.`,
      );
    }
  }
}
