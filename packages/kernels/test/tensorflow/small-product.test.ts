// The dispatch's small-product rule: on a CPU with avx512f, a product of at most 2^24
// multiply-adds runs natively in a format the CPU has no units for (emulating it costs more).
import * as tf from '@tensorflow/tfjs';
import {describeBackends} from '@tfjs-amp/test-utils';
import {afterAll, beforeAll, expect, it} from 'vitest';
import {
  type NativeDispatch,
  SMALL_PRODUCT_MACS,
  nativeKernelReport,
  setNativeDispatch,
  withComputeFormat,
} from '../../src/index.js';
import {asNodeBackend} from '../../src/native/binding.js';
import {type CpuFeatures, UNKNOWN_CPU, overrideCpuFeatures} from '../../src/native/cpu-features.js';
import {decideNative, smallProductRule} from '../../src/native/dispatch.js';
import {productMacs} from '../../src/native/overrides.js';
import {OpSpy, materialize, productOp, values} from './support.js';

const cpu = (flags: string[]): CpuFeatures => ({
  ...UNKNOWN_CPU,
  model: 'test CPU',
  flags,
});
// avx512f without float16 units (a Zen 4 or Sapphire Rapids without AMX-FP16), and AVX2 only.
const AVX512 = cpu(['avx2', 'fma', 'f16c', 'avx512f']);
const AVX2 = cpu(['avx2', 'fma', 'f16c']);

it('smallProductRule: products up to 2^24 multiply-adds, on avx512f CPUs', () => {
  expect(SMALL_PRODUCT_MACS).toBe(2 ** 24);
  expect(smallProductRule('BatchMatMulV2', 2 ** 24, AVX512)).toBe(true);
  expect(smallProductRule('BatchMatMulV2', 2 ** 24 + 1, AVX512)).toBe(false);
  expect(smallProductRule('BatchMatMulV2', undefined, AVX512)).toBe(false);
  expect(smallProductRule('BatchMatMulV2', 64, AVX2)).toBe(false);
  expect(smallProductRule('Conv2D', 64, AVX512)).toBe(false);
});

describeBackends(['tensorflow'], () => {
  let previous: NativeDispatch;
  beforeAll(() => {
    previous = setNativeDispatch('auto');
  });
  afterAll(() => {
    overrideCpuFeatures(null);
    setNativeDispatch(previous);
  });

  it('productMacs: the same count for a product and both of its gradients', () => {
    const [m, k, n] = [6, 5, 4];
    const t = (shape: number[]) => ({shape, dtype: 'float32', dataId: {}}) as tf.TensorInfo;
    expect(productMacs(t([m, k]), t([k, n]), false)).toBe(m * k * n); // y = x·W
    expect(productMacs(t([m, n]), t([k, n]), false)).toBe(m * k * n); // dx = dy·Wᵀ
    expect(productMacs(t([m, k]), t([m, n]), true)).toBe(m * k * n); // dW = xᵀ·dy
    expect(productMacs(t([1, m, k]), t([1, k, n]), false)).toBe(m * k * n);
  });

  it('runs a small float16 product natively on an avx512f CPU without float16 units', () => {
    const node = asNodeBackend(tf.backend())!;
    overrideCpuFeatures(AVX512);
    const general = decideNative(node, 'BatchMatMulV2', 'float16');
    // A CPU whose float16 products sum in float16 keeps them off, small or not.
    if (general.reason === 'accumulates-in-format') return;
    expect(general.reason).toBe('not-faster');
    const small = decideNative(node, 'BatchMatMulV2', 'float16', 64 * 784 * 128);
    expect(small.native).toBe(true);
    expect(small.detail).toMatch(/this product is small \(6422528 multiply-adds, at most 2\^24\)/);
    expect(decideNative(node, 'BatchMatMulV2', 'float16', 256 * 784 * 1024).native).toBe(false);
    expect(decideNative(node, 'Conv2D', 'float16', 64).native).toBe(false);
    // The report answers for a given product size too.
    const row = (macs?: number) =>
      nativeKernelReport('float16', 'tensorflow', {macs}).find((r) => r.kernel === 'BatchMatMul')!;
    expect(row(1000).native).toBe(true);
    expect(row().native).toBe(false);
    // The kernels decide from their operands' shapes: a small product runs in float16.
    const a = tf.tensor2d(values(8 * 16, 1, 'float16'), [8, 16]);
    const b = tf.tensor2d(values(16 * 4, 2, 'float16'), [16, 4]);
    materialize(a, b);
    const op = productOp('float16'); // probed now, outside the spy
    const spy = new OpSpy();
    const c = withComputeFormat('float16', () => tf.matMul(a, b));
    spy.restore();
    expect(spy.nativeOps('float16')).toEqual([op]);
    tf.dispose([a, b, c]);
    // Without avx512f, or under 'accurate'/'none', the rule does not apply.
    overrideCpuFeatures(AVX2);
    expect(decideNative(node, 'BatchMatMulV2', 'float16', 1000).native).toBe(false);
    overrideCpuFeatures(AVX512);
    setNativeDispatch('none');
    expect(decideNative(node, 'BatchMatMulV2', 'float16', 1000).native).toBe(false);
    setNativeDispatch('auto');
  });
});
