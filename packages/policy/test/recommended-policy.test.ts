import * as tf from '@tensorflow/tfjs';
import {
  cpuFeatures,
  fasterThanFloat32,
  getNativeDispatch,
  nativeKernelReport,
  setNativeDispatch,
} from '@tfjs-amp/kernels';
import {describeBackends} from '@tfjs-amp/test-utils';
import {afterEach, describe, expect, it} from 'vitest';
import {recommendedPolicy} from '../src/index.js';

describeBackends(['cpu'], () => {
  it('keeps float32 where mixed precision can only be emulated, and says why', () => {
    const r = recommendedPolicy();
    expect(r.policy).toBe('float32');
    expect(r.native).toBe(false);
    expect(r.reason).toMatch(/the cpu backend has no native 16-bit kernels/);
    expect(recommendedPolicy('webgl').reason).toMatch(/the webgl backend/);
  });

  it('rejects a backend name that is not a string', () => {
    expect(() => recommendedPolicy(3 as unknown as string)).toThrow(
      'recommendedPolicy: backendName must be a string; got 3',
    );
  });
});

describeBackends(['tensorflow'], () => {
  const start = getNativeDispatch();
  afterEach(() => {
    setNativeDispatch(start);
  });

  describe('on tfjs-node', () => {
    it('recommends mixed_bfloat16 exactly where its MatMul runs natively (auto)', () => {
      setNativeDispatch('auto');
      const bf16 = nativeKernelReport('bfloat16').find((r) => r.kernel === 'BatchMatMul')!;
      const f16 = nativeKernelReport('float16').find((r) => r.kernel === 'BatchMatMul')!;
      const r = recommendedPolicy();
      const want = bf16.native ? 'mixed_bfloat16' : f16.native ? 'mixed_float16' : 'float32';
      expect(r.policy).toBe(want);
      expect(r.native).toBe(want !== 'float32');
      // On a CPU, bfloat16 is native under auto exactly when the CPU has bfloat16 units (its
      // MatMul sums in float32 on every CPU this project has met).
      expect(bf16.native).toBe(fasterThanFloat32('bfloat16', 'cpu', cpuFeatures()).faster);
      if (want === 'float32') expect(r.reason).toContain(cpuFeatures().flags.join(' '));
      console.log(`recommendedPolicy on ${cpuFeatures().model}: ${r.policy} (${r.reason})`);
    });

    it('follows the dispatch: float32 when native kernels are off, mixed_bfloat16 when all run', () => {
      setNativeDispatch('none');
      expect(recommendedPolicy().policy).toBe('float32');
      expect(recommendedPolicy().reason).toMatch(/native kernels are off/);
      setNativeDispatch('all');
      expect(recommendedPolicy()).toMatchObject({policy: 'mixed_bfloat16', native: true});
      expect(tf.getBackend()).toBe('tensorflow');
    });
  });
});
