import * as tf from '@tensorflow/tfjs';
import {expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {beforeAll, expect, it} from 'vitest';
import {AmpQuantize, quantize, roundArray} from '../../src/index.js';
import {describeWithWebGPU, useWebGPU} from './support.js';

/**
 * Every float32 pattern's upper 19 bits (sign, exponent, the 10 mantissa bits float16 keeps)
 * with low 13 bits that put it below, on and above each tie and at the ends of its interval:
 * every rounding decision of every float16 value and subnormal, both signs, Inf and NaNs.
 * Float16 subnormals round at bit 13 or higher, so their ties are among these patterns too.
 */
function sweep(): Float32Array {
  const lows = [0x0000, 0x0001, 0x0fff, 0x1000, 0x1001, 0x1fff, 0x0abc];
  const bits = new Uint32Array(2 ** 19 * lows.length);
  let i = 0;
  for (let hi = 0; hi < 2 ** 19; hi++) {
    for (const lo of lows) bits[i++] = ((hi << 13) | lo) >>> 0;
  }
  return new Float32Array(bits.buffer);
}

await describeWithWebGPU('AmpQuantize on webgpu (WGSL, float16)', () => {
  beforeAll(useWebGPU);

  it('runs one WGSL kernel for float16, the generic one (elementwise ops) for bfloat16', async () => {
    const x = tf.tensor1d([1, 2, 3]);
    const kernelsOf = async (format: string) => {
      const profile = await tf.profile(
        () =>
          tf
            .engine()
            .runKernel(
              AmpQuantize,
              {x},
              {format, saturate: false, gradFormat: 'float32'},
            ) as tf.Tensor,
      );
      return profile.kernelNames;
    };
    expect(await kernelsOf('float16')).toEqual([AmpQuantize]);
    expect((await kernelsOf('bfloat16')).length).toBeGreaterThan(5);
    x.dispose();
  });

  it.each([false, true])(
    'is bit-exact with roundArray on 3.7M patterns covering every float16 rounding decision (saturate %s)',
    async (saturate) => {
      const src = sweep();
      const got = await expectNoLeaks(async () => {
        const x = tf.tensor1d(src);
        const y = quantize(x, 'float16', {saturate});
        const data = (await y.data()) as Float32Array;
        tf.dispose([x, y]);
        return data;
      });
      expectBitsEqual(got, roundArray(src, 'float16', undefined, {saturate}), 'float16');
    },
  );

  it('keeps the sign of zero, NaN payloads and float32 subnormals as roundArray does', async () => {
    const bits = new Uint32Array([
      0x80000000, 0x00000001, 0x807fffff, 0x7fc00000, 0xffc00001, 0x7f800001, 0x7fbfffff,
      0xff812345, 0x7fe00abc, 0x33000000, 0x33000001, 0xb3800000, 0x387fe000, 0x387ff000,
      0x477fe000, 0x477ff000, 0x477fefff, 0x7f800000, 0xff800000,
    ]);
    const src = new Float32Array(bits.buffer);
    const x = tf.tensor1d(src);
    const y = quantize(x, 'float16');
    expectBitsEqual(await y.data(), roundArray(src, 'float16'), 'edge cases');
    tf.dispose([x, y]);
  });
});
