import * as tf from '@tensorflow/tfjs';
import type {KernelConfig, KernelFunc, NamedAttrMap, Scalar, TensorInfo} from '@tensorflow/tfjs';
import {nextScale, type ScaleRuleOptions} from '../scale-rule.js';
import {COUNTER_NAMES, type DeviceScaleState} from '../scale-rule-on-device.js';
import {firstValue, HOST_MEMORY_BACKENDS, hostBackend, scalarOutput} from './host-memory.js';

/** Name of the kernel behind {@link lossScaleUpdate} on the cpu and wasm backends. */
export const AMP_LOSS_SCALE_UPDATE = 'AmpLossScaleUpdate';

/**
 * The scale rule in one kernel on host-memory backends: reads the state scalars and the flag
 * from the backend's storage, runs {@link nextScale} (the `'sync'` mode rule itself, double
 * products rounded to float32) and writes the new state scalars.
 */
const lossScaleUpdateKernel: KernelFunc = ({inputs, backend, attrs}) => {
  const host = hostBackend(backend);
  const read = (name: string) => firstValue(host, (inputs as Record<string, TensorInfo>)[name]!);
  const options = attrs as unknown as ScaleRuleOptions;
  const overflowed = read('finite') === 0;
  const update = nextScale(
    {
      lossScale: read('lossScale'),
      goodSteps: read('goodSteps'),
      hysteresisLeft: read('hysteresisLeft'),
    },
    overflowed,
    options,
  );
  const over = overflowed ? 1 : 0;
  const counters: Record<(typeof COUNTER_NAMES)[number], number> = {
    goodSteps: update.goodSteps,
    hysteresisLeft: update.hysteresisLeft,
    overflowCount: overflowed ? read('overflowCount') + 1 : 0,
    skippedSteps: read('skippedSteps') + over,
    lastStepSkipped: over,
    appliedSteps: read('appliedSteps') + 1 - over,
  };
  return [
    scalarOutput(host, update.lossScale, 'float32'),
    ...COUNTER_NAMES.map((name) => scalarOutput(host, counters[name], 'int32')),
  ];
};

/** The kernel configs registered on import, one per host-memory backend. */
export const LOSS_SCALE_UPDATE_CONFIGS: readonly KernelConfig[] = Object.freeze(
  HOST_MEMORY_BACKENDS.map((backendName) => ({
    kernelName: AMP_LOSS_SCALE_UPDATE,
    backendName,
    kernelFunc: lossScaleUpdateKernel,
  })),
);

for (const config of LOSS_SCALE_UPDATE_CONFIGS) {
  if (tf.getKernel(config.kernelName, config.backendName) == null) tf.registerKernel(config);
}

/** Whether the active backend runs {@link lossScaleUpdate} as one host kernel. */
export function hasHostScaleRule(backendName: string = tf.getBackend()): boolean {
  return tf.getKernel(AMP_LOSS_SCALE_UPDATE, backendName) != null;
}

/**
 * Runs the scale rule on the device state, without a read back; returns new tensors. On cpu and
 * wasm one kernel runs {@link nextScale} on the stored values (so any factors are exact); on
 * other backends `null`: the caller uses `nextScaleOnDevice` (tensor ops, float32 factors).
 */
export function lossScaleUpdate(
  state: DeviceScaleState,
  finite: Scalar,
  options: ScaleRuleOptions,
): DeviceScaleState | null {
  if (!hasHostScaleRule()) return null;
  const attrs: NamedAttrMap = {
    dynamic: options.dynamic,
    initialScale: options.initialScale,
    growthInterval: options.growthInterval,
    growthFactor: options.growthFactor,
    backoffFactor: options.backoffFactor,
    minScale: options.minScale,
    maxScale: options.maxScale,
    hysteresis: options.hysteresis,
  };
  const outputs = tf
    .engine()
    .runKernel(AMP_LOSS_SCALE_UPDATE, {finite, ...state}, attrs) as Scalar[];
  const next = {lossScale: outputs[0]!} as Record<string, Scalar>;
  COUNTER_NAMES.forEach((name, i) => {
    next[name] = outputs[i + 1]!;
  });
  return next as unknown as DeviceScaleState;
}
