// 16-bit optimizer state and pure bfloat16 weights: what is stored, reproducibility, and the
// classic case of small updates to a bfloat16 weight.
import '@tfjs-amp/kernels'; // the AmpQuantize kernel that 16-bit storage uses
import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {type AdamWOptions, adamw, nadam, stateBytes} from '../src/index.js';

const bits = (t: tf.Tensor) => new Uint32Array((t.dataSync() as Float32Array).slice().buffer);

/** Runs `steps` steps of `optimizer` on one variable with a fixed gradient pattern. */
function run(options: AdamWOptions, steps: number, size = 256) {
  const opt = adamw({learningRate: 0.01, ...options});
  const v = tf.tidy(() => tf.variable(tf.linspace(-2, 2, size)));
  for (let t = 0; t < steps; t++) {
    const g = tf.tidy(() => tf.mul(tf.sin(tf.add(tf.linspace(0, 7, size), t)), 1e-3 * (t + 1)));
    opt.applyGradients([{name: v.name, tensor: g}]);
    g.dispose();
  }
  return {opt, v};
}

describeBackends(['cpu', 'wasm', 'tensorflow'], () => {
  describe('stateFormat: bfloat16', () => {
    it('stores each moment as a bfloat16 value within 2^-8 relative of the float32 one', async () => {
      await expectNoLeaks(async () => {
        // One step from zero moments: m = 0.1·g and v = 0.001·g² exactly as float32 state has
        // them, then rounded to nearest bfloat16 (8 significant bits: relative error ≤ 2^-8).
        const f32 = run({}, 1);
        const b16 = run({stateFormat: 'bfloat16'}, 1);
        const [w32, w16] = [await f32.opt.getWeights(), await b16.opt.getWeights()];
        for (let i = 1; i < w16.length; i++) {
          const stored = bits(w16[i]!.tensor);
          expect(stored.every((b) => (b & 0xffff) === 0)).toBe(true);
          const exact = w32[i]!.tensor.dataSync();
          const got = w16[i]!.tensor.dataSync();
          exact.forEach((e, j) => {
            expect(
              Math.abs(got[j]! - e),
              `slot ${i} #${j}: ${e} stored ${got[j]}`,
            ).toBeLessThanOrEqual(Math.abs(e) * 2 ** -8);
          });
        }
        // The weights themselves stay float32 (this step used the float32 moments).
        expectBitsEqual(bits(b16.v), bits(f32.v));
        tf.dispose([w32[0]!.tensor, w16[0]!.tensor, f32.v, b16.v]);
        f32.opt.dispose();
        b16.opt.dispose();
      });
    });

    it('is reproducible from the seed with stochastic rounding, and the seed matters', async () => {
      await expectNoLeaks(async () => {
        const opts: AdamWOptions = {stateFormat: 'bfloat16', stateRounding: 'stochastic', seed: 5};
        const a = run(opts, 20);
        const b = run(opts, 20);
        const c = run({...opts, seed: 6}, 20);
        const [wa, wb, wc] = await Promise.all([a, b, c].map((r) => r.opt.getWeights()));
        wa!.forEach((w, i) => {
          expectBitsEqual(bits(wb![i]!.tensor), bits(w.tensor));
        });
        expect(bits(wa![1]!.tensor).some((x, j) => x !== bits(wc![1]!.tensor)[j])).toBe(true);
        for (const r of [a, b, c]) {
          r.v.dispose();
          r.opt.dispose();
        }
        tf.dispose([wa![0]!.tensor, wb![0]!.tensor, wc![0]!.tensor]);
      });
    });

    it('works for Nadam too', async () => {
      await expectNoLeaks(async () => {
        const opt = nadam({stateFormat: 'bfloat16'});
        const v = tf.tidy(() => tf.variable(tf.ones([8])));
        const g = tf.fill([8], 0.3);
        opt.applyGradients([{name: v.name, tensor: g}]);
        const w = await opt.getWeights();
        expect(bits(w[1]!.tensor).every((b) => (b & 0xffff) === 0)).toBe(true);
        expect(v.dataSync()[0]).toBeLessThan(1);
        tf.dispose([w[0]!.tensor, v, g]);
        opt.dispose();
      });
    });
  });

  describe('weightFormat: bfloat16 (pure bfloat16 training)', () => {
    // Constant gradient 1 with weight decay off: every AdamW step is −lr·m̂/(sqrt(v̂)+ε) = −lr
    // (m̂ = v̂ = 1; ε = 1e-7 is far below the float32 spacing here), so float32 weights go
    // 1 → 1 − n·1e-4. In bfloat16 the spacing just below 1 is 2^-8 ≈ 0.0039, so 1 − 1e-4
    // rounds back to 1 at every step: round-to-nearest loses the update entirely.
    const STEPS = 400;
    const SIZE = 2000;
    const LR = 1e-4;

    function train(options: AdamWOptions): Float32Array {
      const opt = adamw({learningRate: LR, weightDecay: 0, epsilon: 1e-7, ...options});
      const v = tf.tidy(() => tf.variable(tf.ones([SIZE])));
      const g = tf.ones([SIZE]);
      for (let t = 0; t < STEPS; t++) opt.applyGradients([{name: v.name, tensor: g}]);
      const out = v.dataSync() as Float32Array;
      tf.dispose([v, g]);
      opt.dispose();
      return out;
    }

    it('loses 1e-4 updates to a weight of 1 with round-to-nearest', async () => {
      const nearest = await expectNoLeaks(() => train({weightFormat: 'bfloat16'}));
      expect(nearest.every((w) => w === 1)).toBe(true);
      const float32 = await expectNoLeaks(() => train({}));
      expect(Math.abs(float32[0]! - (1 - STEPS * LR))).toBeLessThan(1e-4);
    });

    it('keeps them on average with stochastic rounding (mean within 5 standard errors)', async () => {
      const sr = await expectNoLeaks(() =>
        train({weightFormat: 'bfloat16', weightRounding: 'stochastic', seed: 11}),
      );
      // Every stored weight is a bfloat16 value.
      expect(new Uint32Array(sr.buffer).every((b) => (b & 0xffff) === 0)).toBe(true);
      // Each step adds an unbiased rounding error of variance ≤ q·|δ| (q = 2^-8 the spacing,
      // δ = 1e-4 the update), so after n steps a weight's variance is ≤ n·q·δ, and the mean of
      // SIZE independent weights has standard error sqrt(n·q·δ/SIZE) ≈ 6.2e-4.
      const mean = sr.reduce((s, w) => s + w, 0) / SIZE;
      const se = Math.sqrt((STEPS * 2 ** -8 * LR) / SIZE);
      expect(Math.abs(mean - (1 - STEPS * LR))).toBeLessThan(5 * se);
      // And it really moved (a nearest-rounding run stays at 1: 0.04 away, ~65 SE).
      expect(1 - mean).toBeGreaterThan(0.02);
    });
  });
});

describe('stateBytes', () => {
  it('halves the moments of Adam-type optimizers in 16 bits', () => {
    expect(stateBytes(109_386, 2, 'float32')).toBe(875_088);
    expect(stateBytes(109_386, 2, 'bfloat16')).toBe(437_544);
    expect(stateBytes(10, 2, 'float16')).toBe(40);
  });
});
