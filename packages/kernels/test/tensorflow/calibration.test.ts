// The dispatch's calibration fallback: on a CPU whose flags are unknown, whether a format runs
// natively comes from one timed product per format, measured once per process.
import * as tf from '@tensorflow/tfjs';
import {describeBackends} from '@tfjs-amp/test-utils';
import {afterAll, beforeAll, expect, it} from 'vitest';
import {type NativeDispatch, setNativeDispatch} from '../../src/index.js';
import {asNodeBackend} from '../../src/native/binding.js';
import {CALIBRATION_THRESHOLD, calibrate} from '../../src/native/calibration.js';
import {UNKNOWN_CPU, cpuFeatures, overrideCpuFeatures} from '../../src/native/cpu-features.js';
import {decideNative} from '../../src/native/dispatch.js';
import {nativeHandles} from './support.js';

describeBackends(['tensorflow'], () => {
  let previous: NativeDispatch;
  beforeAll(() => {
    previous = setNativeDispatch('auto');
    overrideCpuFeatures(UNKNOWN_CPU);
  });
  afterAll(() => {
    overrideCpuFeatures(null);
    setNativeDispatch(previous);
  });

  const handles = nativeHandles;

  it('decides by one measured product per format when the CPU flags are unknown', () => {
    const node = asNodeBackend(tf.backend())!;
    expect(cpuFeatures().flags).toEqual([]);
    const start = handles();
    for (const format of ['bfloat16', 'float16'] as const) {
      const decision = decideNative(node, 'BatchMatMulV2', format);
      const measured = calibrate(node, format);
      // Measured once: the decision's and later calls' are the same measurement.
      expect(calibrate(node, format)).toBe(measured);
      expect(measured.ratio).toBeGreaterThan(0);
      expect(measured.faster).toBe(measured.ratio <= CALIBRATION_THRESHOLD);
      if (decision.reason === 'accumulates-in-format') continue; // the probe decided first
      expect(decision.native).toBe(measured.faster);
      expect(decision.detail).toContain('CPU flags unknown; measured a 256×1024·1024×1024 product');
      // Other matrix kernels follow the same measurement.
      const conv = decideNative(node, 'Conv2D', format);
      if (conv.reason !== 'accumulates-in-format' && conv.reason !== 'no-kernel') {
        expect(conv.native).toBe(measured.faster);
      }
    }
    expect(handles(), 'no handle left behind').toBe(start);
  });

  it('keeps the flag table where the flags are known', () => {
    overrideCpuFeatures({...UNKNOWN_CPU, flags: ['avx2', 'fma']});
    try {
      const decision = decideNative(asNodeBackend(tf.backend())!, 'BatchMatMulV2', 'bfloat16');
      expect(decision.native).toBe(false);
      expect(decision.detail).toContain('CPU has no bfloat16 units');
    } finally {
      overrideCpuFeatures(UNKNOWN_CPU);
    }
  });
});
