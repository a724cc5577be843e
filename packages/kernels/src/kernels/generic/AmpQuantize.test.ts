import * as tf from '@tensorflow/tfjs';
import {expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {
  asFloat32,
  describeMismatches,
  isNanBits,
  roundingFixture,
} from '../../../test/rounding-fixture.js';
import {FORMAT_NAMES, quantize, roundArray} from '../../index.js';
import {ampQuantize} from './AmpQuantize.js';

// A backend registered after @tfjs-amp/kernels was imported: a fresh cpu backend instance under
// another name, with tfjs's cpu kernels copied over but not ours. quantize must register the
// generic kernel for it on first use, and that kernel must be bit-exact.
const NAME = 'generic-test';

beforeAll(async () => {
  await tf.setBackend('cpu');
  const Cpu = (tf.backend() as object).constructor as new () => tf.KernelBackend;
  tf.registerBackend(NAME, () => new Cpu());
  for (const config of tf.getKernelsForBackend('cpu')) {
    if (config.kernelName !== 'AmpQuantize') tf.registerKernel({...config, backendName: NAME});
  }
  await tf.setBackend(NAME);
});

afterAll(async () => {
  await tf.setBackend('cpu');
  for (const config of tf.getKernelsForBackend(NAME)) tf.unregisterKernel(config.kernelName, NAME);
  tf.removeBackend(NAME);
});

/** NaN outputs match by NaN-ness: the generic path passes NaN through as the backend does. */
const sameOrBothNan = (a: number, e: number) => a === e || (isNanBits(a) && isNanBits(e));

describe('generic AmpQuantize', () => {
  it('gets registered on first use for a backend created after import', async () => {
    expect(tf.getKernel('AmpQuantize', NAME)).toBeUndefined();
    await expectNoLeaks(() => {
      const x = tf.tensor1d([0.1]);
      quantize(x, 'float16').dispose();
      x.dispose();
    });
    expect(tf.getKernel('AmpQuantize', NAME)?.kernelFunc).toBe(ampQuantize);
  });

  describe.each(FORMAT_NAMES)('to %s', (format) => {
    const fixture = roundingFixture(format);
    for (const saturate of [false, true]) {
      it(`matches the oracle bit for bit (NaN by NaN-ness)${saturate ? ', saturating' : ''}`, async () => {
        const bits = await expectNoLeaks(() => {
          const x = tf.tensor1d(asFloat32(fixture.input));
          const y = quantize(x, format, {saturate});
          const out = new Uint32Array((y.dataSync() as Float32Array).slice().buffer);
          tf.dispose([x, y]);
          return out;
        });
        const expected = saturate ? fixture.saturated : fixture.out;
        expect(describeMismatches(fixture, bits, expected, sameOrBothNan)).toBe('');
      });
    }
  });

  it('rounds the gradient too (tf.grad on the late backend)', async () => {
    await expectNoLeaks(() => {
      const w = tf.tensor1d([0.1, 1e-9, 70000]);
      const x = tf.tensor1d([1, 1, 1]);
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(quantize(v, 'float16'), w)))(x);
      expectBitsEqual(
        g.dataSync() as Float32Array,
        roundArray(new Float32Array([0.1, 1e-9, 70000]), 'float16'),
      );
      tf.dispose([w, x, g]);
    });
  });
});
