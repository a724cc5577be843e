import * as tf from '@tensorflow/tfjs';
import {expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {beforeAll, expect, it} from 'vitest';
import {requestShaderF16, roundArray, withComputeFormat} from '../../src/index.js';
import {expectMatchesOracle, matMulOracle, values} from '../tensorflow/support.js';
import {describeWithWebGPU, useWebGPU, webgpuDataIds} from './support.js';

/** [m, k, n, transposeA, transposeB]: tile multiples, ragged edges, k past one tile, vectors. */
const CASES: ReadonlyArray<[number, number, number, boolean, boolean]> = [
  [16, 16, 16, false, false],
  [37, 70, 23, false, false],
  [37, 70, 23, true, false],
  [37, 70, 23, false, true],
  [5, 300, 9, true, true],
  [1, 513, 1, false, false],
];

/** The product read back, checked for leaks of tensors and of GPU data. */
async function product(
  a: Float32Array,
  aShape: number[],
  b: Float32Array,
  bShape: number[],
  transposeA: boolean,
  transposeB: boolean,
): Promise<Float32Array> {
  const ids = webgpuDataIds();
  const out = await expectNoLeaks(async () => {
    const ta = tf.tensor(a, aShape);
    const tb = tf.tensor(b, bShape);
    const c = withComputeFormat('float16', () => tf.matMul(ta, tb, transposeA, transposeB));
    const data = (await c.data()) as Float32Array;
    tf.dispose([ta, tb, c]);
    return data;
  });
  expect(webgpuDataIds(), 'webgpu data ids').toBe(ids);
  return out;
}

await describeWithWebGPU('BatchMatMul and _FusedMatMul on webgpu (WGSL, float16)', () => {
  beforeAll(useWebGPU);

  it('runs on a device that tfjs created with shader-f16 (requestShaderF16 before first use)', () => {
    expect(requestShaderF16()).toBe('has-f16');
  });

  it.each(CASES)(
    'm=%i k=%i n=%i (transposeA %s, transposeB %s) matches the float64 oracle of the float16 operands',
    async (m, k, n, transposeA, transposeB) => {
      // Inputs not on the float16 grid: the kernel rounds them (ties to even) as it loads them.
      const a = values(m * k, 1 + m, 'float32');
      const b = values(k * n, 2 + n, 'float32');
      const got = await product(
        a,
        transposeA ? [k, m] : [m, k],
        b,
        transposeB ? [n, k] : [k, n],
        transposeA,
        transposeB,
      );
      const oracle = matMulOracle(
        roundArray(a, 'float16'),
        roundArray(b, 'float16'),
        m,
        k,
        n,
        transposeA,
        transposeB,
      );
      // float32 sums of exact products: within n·2^-24·Σ|terms| of the exact sum, then rounded
      // once to float16; ≥ 99% of elements equal the exactly rounded sum.
      expectMatchesOracle(got, oracle, 'float16', 'nearest', `${m}×${k}×${n}`, 'wide');
    },
  );

  it('broadcasts a batch of one and runs each batch on its own slice', async () => {
    const [batch, m, k, n] = [3, 9, 40, 11];
    const a = values(batch * m * k, 7, 'float16');
    const b = values(k * n, 8, 'float16');
    const got = await product(a, [batch, m, k], b, [1, k, n], false, false);
    for (let i = 0; i < batch; i++) {
      const oracle = matMulOracle(a.subarray(i * m * k, (i + 1) * m * k), b, m, k, n);
      expectMatchesOracle(
        got.subarray(i * m * n, (i + 1) * m * n),
        oracle,
        'float16',
        'nearest',
        `batch ${i}`,
      );
    }
  });

  it('overflows to Inf past 65504 and keeps float16 subnormal results', async () => {
    // 300·300 = 90000 > 65504: Inf. 2^-12·2^-12 = 2^-24: the smallest float16 subnormal.
    const got = await product(
      new Float32Array([300, 2 ** -12]),
      [2, 1],
      new Float32Array([300, 2 ** -12]),
      [1, 2],
      false,
      false,
    );
    // [[300·300, 300·2^-12], [2^-12·300, 2^-12·2^-12]]; 300·2^-12 = 0.0732421875 exactly.
    expect(Array.from(got)).toEqual([
      Number.POSITIVE_INFINITY,
      0.0732421875,
      0.0732421875,
      2 ** -24,
    ]);
    // 2^-13·2^-12 = 2^-25: a tie between 0 and 2^-24, to even (0).
    const tie = await product(
      new Float32Array([2 ** -13]),
      [1, 1],
      new Float32Array([2 ** -12]),
      [1, 1],
      false,
      false,
    );
    expect(Array.from(tie)).toEqual([0]);
  });

  it('outside a float16 context runs the backend own float32 kernel', async () => {
    const a = values(8 * 8, 3, 'float32');
    const ta = tf.tensor2d(a, [8, 8]);
    const c = tf.matMul(ta, ta);
    const got = (await c.data()) as Float32Array;
    // float32 results, not on the float16 grid.
    expect(Array.from(got).some((v, i) => roundArray(got, 'float16')[i] !== v)).toBe(true);
    tf.dispose([ta, c]);
  });

  it('differentiates in float16: both gradients match their float64 oracles', async () => {
    const [m, k, n] = [12, 33, 7];
    const a = values(m * k, 11, 'float16');
    const b = values(k * n, 12, 'float16');
    const dy = values(m * n, 13, 'float16');
    const [da, db] = await expectNoLeaks(async () => {
      const ta = tf.tensor2d(a, [m, k]);
      const tb = tf.tensor2d(b, [k, n]);
      const tdy = tf.tensor2d(dy, [m, n]);
      const grads = tf.grads((x: tf.Tensor, y: tf.Tensor) =>
        withComputeFormat('float16', () => tf.matMul(x, y)),
      )([ta, tb], tdy);
      const data = [
        (await grads[0]!.data()) as Float32Array,
        (await grads[1]!.data()) as Float32Array,
      ];
      tf.dispose([ta, tb, tdy, ...grads]);
      return data;
    });
    // dA = dy·Bᵀ, dB = Aᵀ·dy.
    expectMatchesOracle(da!, matMulOracle(dy, b, m, n, k, false, true), 'float16', 'nearest', 'dA');
    expectMatchesOracle(db!, matMulOracle(a, dy, k, m, n, true, false), 'float16', 'nearest', 'dB');
  });

  it.each(['linear', 'relu', 'leakyrelu'] as const)(
    '_FusedMatMul (%s): the product rounded, plus the bias rounded, activation rounded',
    async (activation) => {
      const [m, k, n] = [10, 50, 18];
      const a = values(m * k, 21, 'float32');
      const b = values(k * n, 22, 'float32');
      const bias = values(n, 23, 'float32');
      const [fused, plain] = await expectNoLeaks(async () => {
        const ta = tf.tensor2d(a, [m, k]);
        const tb = tf.tensor2d(b, [k, n]);
        const tbias = tf.tensor1d(bias);
        const [f, p] = withComputeFormat('float16', () => [
          tf.fused.matMul({a: ta, b: tb, bias: tbias, activation, leakyreluAlpha: 0.25}),
          tf.matMul(ta, tb),
        ]);
        const data = [(await f!.data()) as Float32Array, (await p!.data()) as Float32Array];
        tf.dispose([ta, tb, tbias, f!, p!]);
        return data;
      });
      const b16 = roundArray(bias, 'float16');
      const sum = roundArray(
        plain!.map((v, i) => v + b16[i % n]!),
        'float16',
      );
      const act = (v: number) =>
        activation === 'relu' ? Math.max(v, 0) : activation === 'leakyrelu' && v < 0 ? v * 0.25 : v;
      expectBitsEqual(fused!, roundArray(sum.map(act), 'float16'), activation);
    },
  );
});
