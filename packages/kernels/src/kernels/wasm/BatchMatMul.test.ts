import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {expectNoLeaks, useBackend} from '@tfjs-amp/test-utils';
import {spawnSync} from 'node:child_process';
import {fileURLToPath} from 'node:url';
import {describe, expect, it} from 'vitest';
import '../../index.js';
import {batchMatMulConfig} from './BatchMatMul.js';

interface Case {
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
}

const CASES: Case[] = [
  {a: [5, 7], b: [7, 3], transposeA: false, transposeB: false},
  {a: [7, 5], b: [7, 3], transposeA: true, transposeB: false},
  {a: [5, 7], b: [3, 7], transposeA: false, transposeB: true},
  {a: [7, 5], b: [3, 7], transposeA: true, transposeB: true},
  {a: [2, 6, 4], b: [2, 6, 3], transposeA: true, transposeB: false},
  {a: [3, 4, 6], b: [1, 5, 6], transposeA: false, transposeB: true},
  {a: [64, 784], b: [64, 128], transposeA: true, transposeB: false},
];

async function product(
  backend: 'cpu' | 'wasm',
  c: Case,
): Promise<{values: Float32Array; shape: number[]}> {
  await useBackend(backend);
  return tf.tidy(() => {
    const a = tf.randomNormal(c.a, 0, 1, 'float32', 11);
    const b = tf.randomNormal(c.b, 0, 1, 'float32', 12);
    const out = tf.matMul(a, b, c.transposeA, c.transposeB);
    return {values: out.dataSync() as Float32Array, shape: out.shape};
  });
}

describe('wasm BatchMatMul override (transpose first)', () => {
  it('is the registered wasm BatchMatMul once the backend is set', async () => {
    await useBackend('wasm');
    expect(tf.getKernel(tf.BatchMatMul, 'wasm')).toBe(batchMatMulConfig);
  });

  for (const c of CASES) {
    it(`matches the cpu kernel for a ${c.a}${c.transposeA ? 'ᵀ' : ''} · b ${c.b}${c.transposeB ? 'ᵀ' : ''}`, async () => {
      const expected = await product('cpu', c);
      await useBackend('wasm');
      const actual = await expectNoLeaks(() => product('wasm', c));
      expect(actual.shape).toEqual(expected.shape);
      // Same products, summed in another order: equal up to float32 accumulation error.
      const inner = c.transposeA ? c.a.at(-2)! : c.a.at(-1)!;
      for (let i = 0; i < expected.values.length; i++) {
        const tolerance = inner * 2 ** -22 * (1 + Math.abs(expected.values[i]!));
        expect(Math.abs(actual.values[i]! - expected.values[i]!)).toBeLessThanOrEqual(tolerance);
      }
    });
  }

  it('gives the gradients of a Dense layer on wasm as on cpu', async () => {
    const grads = async (backend: 'cpu' | 'wasm') => {
      await useBackend(backend);
      return tf.tidy(() => {
        const x = tf.randomNormal([16, 20], 0, 1, 'float32', 1);
        const w = tf.randomNormal([20, 8], 0, 1, 'float32', 2);
        const [gx, gw] = tf.grads((xx: tf.Tensor, ww: tf.Tensor) =>
          tf.matMul(xx, ww).square().sum(),
        )([x, w]);
        return [gx!.dataSync() as Float32Array, gw!.dataSync() as Float32Array];
      });
    };
    const [cx, cw] = await grads('cpu');
    const [wx, ww] = await grads('wasm');
    for (const [a, e] of [
      [wx!, cx!],
      [ww!, cw!],
    ] as const) {
      for (let i = 0; i < e.length; i++)
        expect(Math.abs(a[i]! - e[i]!)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(e[i]!)));
    }
  });

  it('is installed when @tfjs-amp/kernels is imported before the wasm backend', () => {
    const script = fileURLToPath(
      new URL('../../../test/fixtures/wasm-import-order.ts', import.meta.url),
    );
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--conditions=@tfjs-amp/source', script],
      {
        encoding: 'utf8',
        cwd: fileURLToPath(new URL('../../../', import.meta.url)),
      },
    );
    expect(run.stderr + run.stdout).toContain('override installed: true');
    expect(run.stdout).toContain('product: 19,22,43,50');
    expect(run.status).toBe(0);
  });
});
