import * as tf from '@tensorflow/tfjs';
import {expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {afterEach, beforeAll, expect, it, vi} from 'vitest';
import {quantize, roundArray, withComputeFormat} from '../../src/index.js';
import {requestShaderF16} from '../../src/kernels/webgpu/wgsl/shader-f16.js';
import {values} from '../tensorflow/support.js';
import {describeWithWebGPU, useWebGPU} from './support.js';

// tfjs-backend-webgpu's own device, created without shader-f16 (requestShaderF16 not called).
await describeWithWebGPU(
  'webgpu without shader-f16 (device created by tfjs alone)',
  () => {
    beforeAll(useWebGPU);
    afterEach(() => {
      vi.restoreAllMocks();
    });

    it('the device lacks shader-f16 and requestShaderF16 reports it is too late', () => {
      const device = (tf.engine().backend as unknown as {device: {features: Set<string>}}).device;
      expect(device.features.has('shader-f16')).toBe(false);
      expect(requestShaderF16()).toBe('too-late');
    });

    it('float16 matmul and conv fall back to the float32 kernels with one notice', async () => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      const a = values(24 * 40, 5, 'float16');
      const b = values(40 * 9, 6, 'float16');
      const [inContext, plain] = await expectNoLeaks(async () => {
        const ta = tf.tensor2d(a, [24, 40]);
        const tb = tf.tensor2d(b, [40, 9]);
        const c16 = withComputeFormat('float16', () => tf.matMul(ta, tb));
        const again = withComputeFormat('float16', () => tf.matMul(ta, tb));
        const c32 = tf.matMul(ta, tb);
        const out = [await c16.data(), await c32.data()];
        tf.dispose([ta, tb, c16, again, c32]);
        return out;
      });
      expectBitsEqual(inContext!, plain!, 'fallback = the backend float32 kernel');
      const notices = warn.mock.calls.filter((c) => String(c[0]).includes("'shader-f16'"));
      expect(notices, 'one notice').toHaveLength(1);
      expect(String(notices[0]![0])).toContain('requestShaderF16()');
    });

    it('AmpQuantize stays bit-exact without shader-f16 (it forms no f16 value)', async () => {
      const src = values(4096, 9, 'float32').map((v) => v * 70000);
      const x = tf.tensor1d(src);
      const y = quantize(x, 'float16');
      expectBitsEqual(await y.data(), roundArray(src, 'float16'), 'float16');
      tf.dispose([x, y]);
    });
  },
  false,
);
