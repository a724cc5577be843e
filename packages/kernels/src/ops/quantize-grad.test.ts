import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {asFloat32, roundingFixture} from '../../test/rounding-fixture.js';
import {quantize, roundArray} from '../index.js';
import type {QuantizeOptions} from './quantize.js';

/** d/dx sum(quantize(x, format, options) · w) for the given x and w, as a Float32Array. */
function gradient(
  x: Float32Array,
  w: Float32Array,
  format: Parameters<typeof quantize>[1],
  options?: QuantizeOptions,
): Float32Array {
  return tf.tidy(() => {
    const weights = tf.tensor1d(w);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(quantize(v, format, options), weights)));
    return (g(tf.tensor1d(x)).dataSync() as Float32Array).slice();
  });
}

describeBackends(['cpu', 'wasm'], () => {
  describe('quantize gradient', () => {
    // dL/dq = w exactly, so the gradient is w rounded to gradFormat: check it against
    // roundArray on the fixture's finite, non-overflowing values of each format.
    const finite = (format: 'float16' | 'bfloat16' | 'float8_e5m2') => {
      const fixture = roundingFixture(format);
      const values = asFloat32(fixture.input).filter((v) => Math.abs(v) < 1e30);
      return values;
    };

    it('rounds the incoming gradient to the forward format by default', async () => {
      await expectNoLeaks(() => {
        for (const format of ['float16', 'bfloat16', 'float8_e5m2'] as const) {
          const w = finite(format);
          const g = gradient(new Float32Array(w.length).fill(1), w, format);
          expectBitsEqual(g, roundArray(w, format), format);
        }
      });
    });

    it('rounds to options.gradFormat when given', async () => {
      await expectNoLeaks(() => {
        const w = finite('float16');
        const g = gradient(new Float32Array(w.length).fill(1), w, 'float16', {
          gradFormat: 'bfloat16',
        });
        expectBitsEqual(g, roundArray(w, 'bfloat16'));
        // 0.1 as an example, derived by hand: bfloat16 keeps 8 significant bits,
        // 0.1 ≈ 1.10011001101b · 2^−4 → 1.1001101b · 2^−4 = 0.10009765625; float16 0.0999755859375.
        const g2 = gradient(new Float32Array([1, 1]), new Float32Array([0.1, 0.1]), 'float16', {
          gradFormat: 'bfloat16',
        });
        expectBitsEqual(g2, [0.10009765625, 0.10009765625]);
        expectBitsEqual(
          gradient(new Float32Array([1]), new Float32Array([0.1]), 'float16'),
          [0.0999755859375],
        );
      });
    });

    it('passes the gradient unrounded with gradFormat: null', async () => {
      await expectNoLeaks(() => {
        const w = finite('float16');
        const g = gradient(new Float32Array(w.length).fill(1), w, 'float16', {gradFormat: null});
        expectBitsEqual(g, w);
      });
    });

    it('flushes a tiny gradient (1e-9) to zero in float16 but not in bfloat16', async () => {
      await expectNoLeaks(() => {
        // 1e-9 < 2^−25 (half of float16's smallest subnormal 2^−24 ≈ 5.96e-8): rounds to 0.
        const tiny = new Float32Array([1e-9, -1e-9]);
        expectBitsEqual(gradient(new Float32Array([3, 4]), tiny, 'float16'), [0, -0]);
        const bf = gradient(new Float32Array([3, 4]), tiny, 'bfloat16');
        expectBitsEqual(bf, roundArray(tiny, 'bfloat16'));
        expect(bf[0]).not.toBe(0);
      });
    });

    it('is straight-through: the forward rounding does not gate the gradient', async () => {
      await expectNoLeaks(() => {
        // x = 1e6 overflows to Inf in float16 and 1e-30 underflows to 0; both still get dy.
        const g = gradient(
          new Float32Array([1e6, 1e-30, 0.3]),
          new Float32Array([2, 2, 2]),
          'float16',
        );
        expectBitsEqual(g, [2, 2, 2]);
      });
    });

    it('never saturates the gradient, so an overflow stays visible as Inf', async () => {
      await expectNoLeaks(() => {
        const g = gradient(new Float32Array([1]), new Float32Array([1e6]), 'float16', {
          saturate: true,
        });
        expectBitsEqual(g, [Infinity]);
      });
    });

    it('works through tf.valueAndGrads on several inputs without leaking', async () => {
      await expectNoLeaks(() => {
        const a = tf.tensor1d([0.1, 0.2]);
        const b = tf.tensor1d([3, 1e-9]);
        const {value, grads} = tf.valueAndGrads((x: tf.Tensor, y: tf.Tensor) =>
          tf.sum(tf.mul(quantize(x, 'float16'), quantize(y, 'float16', {gradFormat: null}))),
        )([a, b]);
        // d/dx = q(y) rounded to float16: [3, 0]; d/dy = q(x) unrounded: float16 of 0.1, 0.2.
        expectBitsEqual(grads[0]!.dataSync() as Float32Array, [3, 0]);
        expectBitsEqual(
          grads[1]!.dataSync() as Float32Array,
          roundArray(new Float32Array([0.1, 0.2]), 'float16'),
        );
        tf.dispose([a, b, value, ...grads]);
      });
    });
  });
});
