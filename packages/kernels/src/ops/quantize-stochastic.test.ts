import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectBitsEqual, expectNoLeaks, useBackend} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {getFormat, quantize} from '../index.js';

/** Stochastic quantize of `values` read back as a Float32Array (tensors disposed). */
function stochastic(
  values: Float32Array,
  format: 'bfloat16' | 'float16',
  seed: number,
  saturate = false,
) {
  const x = tf.tensor1d(values);
  const y = quantize(x, format, {rounding: 'stochastic', seed, saturate});
  const out = (y.dataSync() as Float32Array).slice();
  tf.dispose([x, y]);
  return out;
}

/**
 * Mean of n stochastic roundings of x (one call, n elements, so n independent draws) must be
 * within 5 standard errors of x: for p = (x − lo)/q the rounding adds q·Bernoulli(p) to lo, so
 * the standard error of the mean is q·sqrt(p(1 − p)/n). 5 SE: a false failure once in ~1.7
 * million runs; a biased rounding (always down, or nearest) misses by far more (see comments).
 */
function expectUnbiased(
  x: number,
  lo: number,
  hi: number,
  format: 'bfloat16' | 'float16',
  seed: number,
) {
  const n = 100_000;
  const out = stochastic(new Float32Array(n).fill(x), format, seed);
  let sum = 0;
  let ups = 0;
  for (const v of out) {
    expect(v === lo || v === hi, `each result is a neighbour of ${x}; got ${v}`).toBe(true);
    sum += v;
    if (v === hi) ups++;
  }
  const q = hi - lo;
  const p = (x - lo) / q;
  const se = Math.abs(q) * Math.sqrt((p * (1 - p)) / n);
  expect(Math.abs(sum / n - x)).toBeLessThan(5 * se);
  // Both neighbours occur in about the expected shares.
  expect(Math.abs(ups / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
}

describeBackends(['cpu', 'wasm', 'tensorflow'], (backend) => {
  describe(`quantize rounding: 'stochastic' on ${backend}`, () => {
    it('is unbiased between two bfloat16 neighbours (1 + 2^-9 + 2^-11: p = 0.3125)', async () => {
      // Nearest would give 1 every time: a bias of 0.3125·2^-7 ≈ 0.0024, ~1700 standard errors.
      await expectNoLeaks(() =>
        expectUnbiased(1 + 2 ** -9 + 2 ** -11, 1, 1 + 2 ** -7, 'bfloat16', 1),
      );
    });

    it('is unbiased for negative values and across a binade edge', async () => {
      // −(2 − 2^-10): neighbours −(2 − 2^-7) (spacing 2^-7 below 2) and −2; p = 7/8.
      await expectNoLeaks(() => expectUnbiased(-(2 - 2 ** -10), -(2 - 2 ** -7), -2, 'bfloat16', 2));
    });

    it('is unbiased among float16 subnormals (spacing 2^-24)', async () => {
      // 1.25·2^-24 lies between 2^-24 and 2^-23; p = 0.25. Nearest gives 2^-24 every time.
      await expectNoLeaks(() => expectUnbiased(1.25 * 2 ** -24, 2 ** -24, 2 ** -23, 'float16', 3));
    });

    it.each(['bfloat16', 'float16', 'tf32', 'float8_e4m3fn', 'float8_e5m2'] as const)(
      'gives one of the two %s neighbours of every value, normal or subnormal',
      async (format) => {
        await expectNoLeaks(() => {
          const spec = getFormat(format);
          // Magnitudes across the format's whole range, both signs, below maxFinite.
          const n = 4000;
          const values = new Float32Array(n).map((_, i) => {
            const e = (i % 40) / 40; // spread exponents over [minSubnormal, maxFinite)
            const log2 =
              Math.log2(spec.minSubnormal) +
              e * (Math.log2(spec.maxFinite) - Math.log2(spec.minSubnormal));
            return (
              (i % 2 ? -1 : 1) *
              Math.min(2 ** log2 * (1 + ((i * 0.618) % 1) * 0.999), spec.maxFinite)
            );
          });
          const x = tf.tensor1d(values);
          const y = quantize(x, format, {rounding: 'stochastic', seed: 21});
          const out = y.dataSync();
          tf.dispose([x, y]);
          values.forEach((v, i) => {
            // The two neighbours, from the spacing at |v| (float64 arithmetic, exact here).
            const a = Math.abs(v);
            const exponent = Math.max(Math.floor(Math.log2(a)), 1 - spec.bias);
            const q = 2 ** (exponent - spec.mantissaBits);
            const lo = Math.floor(a / q) * q;
            const hi = lo === a ? a : lo + q;
            const got = Math.abs(out[i]!);
            expect(
              got === lo || got === hi,
              `${format}: ${v} → ${out[i]} (neighbours ${lo}, ${hi})`,
            ).toBe(true);
            expect(Math.sign(out[i]!) * Math.sign(v)).not.toBe(-1);
          });
        });
      },
    );

    it('is reproducible from the seed and changes with it', async () => {
      await expectNoLeaks(() => {
        const values = new Float32Array(4096).map((_, i) => Math.sin(i) * 3);
        const a = stochastic(values, 'bfloat16', 42);
        const b = stochastic(values, 'bfloat16', 42);
        const c = stochastic(values, 'bfloat16', 43);
        const d = stochastic(values, 'bfloat16', 2 ** 40 + 42); // the seed's high word counts
        expectBitsEqual(new Uint32Array(a.buffer), new Uint32Array(b.buffer));
        expect(a.some((v, i) => v !== c[i])).toBe(true);
        expect(a.some((v, i) => v !== d[i])).toBe(true);
      });
    });

    it('gives the same bits as the cpu backend for the same seed', async () => {
      const values = new Float32Array(3000).map(
        (_, i) => Math.cos(i * 0.37) * 2 ** ((i % 60) - 30),
      );
      const here = stochastic(values, 'bfloat16', 9);
      const here16 = stochastic(values, 'float16', 9);
      await useBackend('cpu');
      const onCpu = stochastic(values, 'bfloat16', 9);
      const onCpu16 = stochastic(values, 'float16', 9);
      await useBackend(backend);
      expectBitsEqual(new Uint32Array(here.buffer), new Uint32Array(onCpu.buffer));
      expectBitsEqual(new Uint32Array(here16.buffer), new Uint32Array(onCpu16.buffer));
    });

    it('keeps representable values, signed zeros, ±Inf and NaN as nearest does', async () => {
      await expectNoLeaks(() => {
        const special = new Float32Array([
          0,
          -0,
          1,
          -1.5,
          2 ** -133,
          Infinity,
          -Infinity,
          Number.NaN,
        ]);
        const out = stochastic(special, 'bfloat16', 5);
        const x = tf.tensor1d(special);
        const nearest = quantize(x, 'bfloat16');
        expectBitsEqual(
          new Uint32Array(out.buffer),
          new Uint32Array((nearest.dataSync() as Float32Array).slice().buffer),
        );
        tf.dispose([x, nearest]);
      });
    });

    it('overflows past maxFinite to Inf, or to maxFinite with saturate', async () => {
      await expectNoLeaks(() => {
        // 65504 + 16 lies halfway between float16's maxFinite (65504) and the next step (65536):
        // stochastic rounding goes up (to Inf) about half the time.
        const values = new Float32Array(2000).fill(65520);
        const out = stochastic(values, 'float16', 11);
        const infs = out.filter((v) => v === Infinity).length;
        expect(out.every((v) => v === 65504 || v === Infinity)).toBe(true);
        expect(infs).toBeGreaterThan(800);
        expect(infs).toBeLessThan(1200);
        const saturated = stochastic(values, 'float16', 11, true);
        expect(saturated.every((v) => v === 65504)).toBe(true);
      });
    });

    it('leaves nearest mode untouched when no rounding option is given', async () => {
      await expectNoLeaks(() => {
        const x = tf.tensor1d([1 + 2 ** -9 + 2 ** -11]);
        const y = quantize(x, 'bfloat16', {seed: 3}); // seed alone: still nearest
        expect(y.dataSync()[0]).toBe(1);
        tf.dispose([x, y]);
      });
    });

    it('passes the gradient straight through, rounded to nearest', async () => {
      await expectNoLeaks(() => {
        const x = tf.tensor1d([1.3, -2.7]);
        const dy = tf.tensor1d([1 + 2 ** -9 + 2 ** -11, 3]);
        const g = tf.grad((t: tf.Tensor) =>
          quantize(t, 'bfloat16', {rounding: 'stochastic', seed: 1}),
        )(x, dy);
        expect(Array.from(g.dataSync())).toEqual([1, 3]);
        tf.dispose([x, dy, g]);
      });
    });
  });
});

describe("quantize rounding: 'stochastic' errors", () => {
  it('needs an integer seed and a known rounding mode', async () => {
    await useBackend('cpu');
    const x = tf.tensor1d([1]);
    expect(() => quantize(x, 'bfloat16', {rounding: 'stochastic'})).toThrow(
      /quantize: options.seed \(needed by rounding: 'stochastic'\) must be an integer in \[0, 2\^53\); got undefined/,
    );
    expect(() => quantize(x, 'bfloat16', {rounding: 'stochastic', seed: 1.5})).toThrow(RangeError);
    expect(() => quantize(x, 'bfloat16', {rounding: 'stochastic', seed: -1})).toThrow(RangeError);
    expect(() => quantize(x, 'bfloat16', {rounding: 'up' as 'nearest'})).toThrow(
      /quantize: unknown options.rounding 'up'. Allowed: nearest, stochastic./,
    );
    expect(() =>
      tf
        .engine()
        .runKernel(
          'AmpQuantize',
          {x},
          {format: 'bfloat16', saturate: false, gradFormat: 'bfloat16', rounding: 'stochastic'},
        ),
    ).toThrow(RangeError);
    x.dispose();
  });
});
