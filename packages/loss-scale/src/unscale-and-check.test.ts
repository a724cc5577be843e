import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {afterEach, describe, expect, it, vi} from 'vitest';
import {DEFAULT_LOSS_SCALE_OPTIONS} from './options.js';
import {type UnscaleOptions, unscaleAndCheck} from './unscale-and-check.js';

const NO_CLIP: UnscaleOptions = DEFAULT_LOSS_SCALE_OPTIONS;

/** Runs the pass, returns the values read from its gradients and disposes them. */
function run(values: (number[] | null)[], scale: number, options: Partial<UnscaleOptions> = {}) {
  const grads = values.map((v) => (v == null ? null : tf.tensor1d(v)));
  const result = unscaleAndCheck(grads, scale, {...NO_CLIP, ...options});
  const out = result.grads.map((g) => (g == null ? null : g.dataSync().slice()));
  tf.dispose([...grads, ...result.grads].filter((t): t is tf.Tensor => t != null));
  return {isFinite: result.isFinite, gradNorm: result.gradNorm, values: out};
}

describe('unscaleAndCheck', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  describeBackends(['cpu', 'wasm'], () => {
    it('divides by a power-of-two scale exactly', async () => {
      await expectNoLeaks(() => {
        const r = run([[3 * 2 ** 10, -5 * 2 ** 10, 2 ** -140], [7]], 2 ** 10);
        expect(r.isFinite).toBe(true);
        // 2^-140 / 2^10 = 2^-150: half the smallest float32 subnormal, rounds to even (0).
        expectBitsEqual(r.values[0]!, [3, -5, 0]);
        expectBitsEqual(r.values[1]!, [7 / 1024]);
      });
    });

    it('finds Inf, -Inf and NaN in any tensor', async () => {
      await expectNoLeaks(() => {
        for (const bad of [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN]) {
          expect(
            run(
              [
                [1, 2],
                [3, bad, 4],
              ],
              8,
            ).isFinite,
          ).toBe(false);
          expect(run([[bad], [3, 4]], 8).isFinite).toBe(false);
        }
      });
    });

    it('accepts large finite gradients and empty or missing ones', async () => {
      await expectNoLeaks(() => {
        // sum(g) would overflow to Inf here; the check multiplies by 0 first.
        expect(run([[3e38, 3e38, -3e38]], 1).isFinite).toBe(true);
        const r = run([null, [2], null], 2);
        expect(r.isFinite).toBe(true);
        expect(r.values[0]).toBeNull();
        expectBitsEqual(r.values[1]!, [1]);
        expect(run([], 2).isFinite).toBe(true);
      });
    });

    it('reads one value from the device per call', async () => {
      await expectNoLeaks(() => {
        const grads = [tf.tensor1d([1, 2]), tf.tensor1d([3]), tf.tensor1d([4, 5, 6])];
        for (const options of [{}, {globalClipNorm: 1, clipValue: 2, reportGradNorm: true}]) {
          const reads = countReads();
          const result = unscaleAndCheck(grads, 4, {...NO_CLIP, ...options});
          expect(reads()).toBe(1);
          tf.dispose(result.grads as tf.Tensor[]);
        }
        tf.dispose(grads);
      });
    });

    it('checks with one reduction per tensor; a second read only when that sum is not finite', async () => {
      await expectNoLeaks(async () => {
        const grads = [tf.tensor1d([1, 2]), tf.tensor1d([3]), tf.tensor1d([4, 5, 6])];
        const profile = await tf.profile(() => {
          const result = unscaleAndCheck(grads, 4, NO_CLIP);
          tf.dispose(result.grads as tf.Tensor[]);
        });
        const kernels = profile.kernels.map((k) => k.name);
        // Per tensor: the division and one Sum; then one AddN. No full-size `u * 0` temporary.
        expect(kernels.filter((k) => k === 'RealDiv')).toHaveLength(3);
        expect(kernels.filter((k) => k === 'Sum')).toHaveLength(3);
        expect(kernels).not.toContain('Multiply');
        tf.dispose(grads);
        for (const [values, finite] of [
          [[3e38, 3e38], true],
          [[Number.POSITIVE_INFINITY, 1], false],
        ] as const) {
          const g = tf.tensor1d([...values]);
          const reads = countReads();
          const result = unscaleAndCheck([g], 1, NO_CLIP);
          expect(reads()).toBe(2);
          expect(result.isFinite).toBe(finite);
          tf.dispose([g, ...(result.grads as tf.Tensor[])]);
        }
      });
    });

    it('clips by value after the check, so a clipped Inf still counts', async () => {
      await expectNoLeaks(() => {
        const ok = run([[-9, 0.5, 9]], 1, {clipValue: 2});
        expect(ok.isFinite).toBe(true);
        expectBitsEqual(ok.values[0]!, [-2, 0.5, 2]);
        expect(run([[Number.POSITIVE_INFINITY, 0.5]], 1, {clipValue: 2}).isFinite).toBe(false);
      });
    });

    it('clips each tensor to clipNorm and leaves smaller ones bit-identical', async () => {
      await expectNoLeaks(() => {
        const r = run(
          [
            [6, 8],
            [0.1, -0.2],
          ],
          2,
          {clipNorm: 1},
        );
        expect(r.isFinite).toBe(true);
        // [6, 8] / 2 = [3, 4], norm 5: factor float32(1 / 5); [0.05, -0.1] has norm < 1: factor 1.
        const f = Math.fround(1 / 5);
        expectBitsEqual(r.values[0]!, [Math.fround(3 * f), Math.fround(4 * f)]);
        expectBitsEqual(r.values[1]!, [Math.fround(0.1) / 2, Math.fround(-0.2) / 2]);
      });
    });

    it('clips to the global norm and reports it', async () => {
      await expectNoLeaks(() => {
        // [3] and [4]: global norm 5; limit 2.5 gives the exact factor 0.5.
        const r = run([[3], [4]], 1, {globalClipNorm: 2.5});
        expect(r.gradNorm).toBe(5);
        expectBitsEqual(r.values[0]!, [1.5]);
        expectBitsEqual(r.values[1]!, [2]);
        const report = run([[3], [4]], 1, {reportGradNorm: true});
        expect(report.gradNorm).toBe(5);
        expectBitsEqual(report.values[1]!, [4]);
      });
    });

    it('counts a norm whose square overflows float32 as an overflow when clipping by norm', async () => {
      await expectNoLeaks(() => {
        // (1e20)^2 = 1e40 > float32 max: no clip factor can be computed for it.
        expect(run([[1e20]], 1, {clipNorm: 1}).isFinite).toBe(false);
        expect(run([[1e20]], 1, {globalClipNorm: 1}).isFinite).toBe(false);
        // Reporting the norm alone does not change which steps are skipped.
        const r = run([[1e20]], 1, {reportGradNorm: true});
        expect(r.isFinite).toBe(true);
        expect(r.gradNorm).toBe(Number.POSITIVE_INFINITY);
        expect(run([[Number.NaN]], 1, {clipNorm: 1}).isFinite).toBe(false);
      });
    });
  });
});

/** Counts reads of tensor data (dataSync, data, arraySync, array) until the returned function runs. */
function countReads(): () => number {
  let n = 0;
  for (const m of ['dataSync', 'data', 'arraySync', 'array'] as const) {
    const original = tf.Tensor.prototype[m] as (...a: unknown[]) => unknown;
    vi.spyOn(tf.Tensor.prototype, m).mockImplementation(function (
      this: tf.Tensor,
      ...a: unknown[]
    ) {
      n++;
      return original.apply(this, a);
    } as never);
  }
  return () => {
    const count = n;
    vi.restoreAllMocks();
    return count;
  };
}
