import {useBackend} from '@tfjs-amp/test-utils';
import {beforeAll, describe, expect, it} from 'vitest';
import {resolveLossScaleOptions} from './options.js';
import {checkDeviceFactors, DEVICE_MODE_BACKENDS, stepModeFor} from './step-mode.js';

describe('stepModeFor', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it("picks 'device' on the GPU backends of browsers and 'sync' on cpu and wasm", () => {
    const auto = resolveLossScaleOptions();
    expect([...DEVICE_MODE_BACKENDS]).toEqual(['webgl', 'webgpu']);
    expect(stepModeFor(auto, 'webgl')).toBe('device');
    expect(stepModeFor(auto, 'webgpu')).toBe('device');
    expect(stepModeFor(auto, 'cpu')).toBe('sync');
    expect(stepModeFor(auto, 'wasm')).toBe('sync');
    expect(stepModeFor(auto)).toBe('sync'); // the active backend: cpu
  });

  it("picks 'device' on tfjs-node only when its backend runs on a GPU", () => {
    const auto = resolveLossScaleOptions();
    expect(stepModeFor(auto, 'tensorflow', {isUsingGpuDevice: false})).toBe('sync');
    expect(stepModeFor(auto, 'tensorflow', {isUsingGpuDevice: true})).toBe('device');
    expect(stepModeFor(auto, 'tensorflow', null)).toBe('sync');
  });

  it("stays 'sync' under 'auto' when a factor is not a float32 value", () => {
    expect(stepModeFor(resolveLossScaleOptions({backoffFactor: 0.3}), 'webgl')).toBe('sync');
  });

  it('returns an explicit mode as it is', () => {
    expect(stepModeFor(resolveLossScaleOptions({mode: 'sync'}), 'webgl')).toBe('sync');
    expect(stepModeFor(resolveLossScaleOptions({mode: 'device'}), 'cpu')).toBe('device');
  });

  it("lets 'device' mode take only float32 factors where no host kernel runs the rule", () => {
    const odd = resolveLossScaleOptions({mode: 'device', growthFactor: 1.1});
    expect(() => checkDeviceFactors(odd, true, 'wasm')).not.toThrow();
    expect(() => checkDeviceFactors(odd, false, 'webgl')).toThrow(RangeError);
    expect(() => checkDeviceFactors(odd, false, 'webgl')).toThrow(
      "LossScaleOptimizer: growthFactor must be a float32 value with mode 'device' on the 'webgl' " +
        'backend (the scale is multiplied on the device in float32); got 1.1. Use ' +
        `Math.fround(1.1) = ${Math.fround(1.1)}, or mode 'sync'.`,
    );
    const fround = resolveLossScaleOptions({growthFactor: Math.fround(1.1)});
    expect(() => checkDeviceFactors(fround, false, 'webgl')).not.toThrow();
  });
});
