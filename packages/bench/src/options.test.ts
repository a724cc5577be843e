import {describe, expect, it} from 'vitest';
import {
  DEFAULT_BATCH_SIZE,
  DEFAULT_SUITE_OPTIONS,
  SUITE_PRESETS,
  resolveSuiteOptions,
} from './options.js';

describe('resolveSuiteOptions', () => {
  it('fills the defaults and the quick preset', () => {
    const o = resolveSuiteOptions();
    expect(o.backend).toBe('wasm');
    expect(o.workloads).toEqual(['mlp', 'cnn']);
    expect(o.policies).toEqual(['float32', 'mixed_float16', 'mixed_bfloat16']);
    expect(o.epochs).toBe(SUITE_PRESETS.quick.epochs);
    expect(o.batchSize).toBe(DEFAULT_SUITE_OPTIONS.batchSize);
    expect(o.ablation).toBe(true);
  });

  it("leaves the batch size to each workload unless given (the quick suite's stay 64)", () => {
    expect(resolveSuiteOptions().batchSize).toBeNull();
    expect(resolveSuiteOptions({batchSize: 32}).batchSize).toBe(32);
    expect(DEFAULT_BATCH_SIZE).toBe(64);
  });

  it('holds MNIST workloads to 10,000 examples but not the synthetic w4', () => {
    expect(
      resolveSuiteOptions({workloads: ['w4'], trainSize: 20_000, testSize: 5000}).trainSize,
    ).toBe(20_000);
    expect(() => resolveSuiteOptions({workloads: ['w1'], trainSize: 9000, testSize: 2000})).toThrow(
      'tfjs-amp-bench: trainSize + testSize must be at most 10000 for MNIST workloads; got 9000 + 2000.',
    );
    expect(() =>
      resolveSuiteOptions({workloads: ['w4', 'cnn-wide'], trainSize: 9000, testSize: 2000}),
    ).toThrow(RangeError);
  });

  it('applies a preset under explicit options', () => {
    expect(resolveSuiteOptions({suite: 'full'}).epochs).toBe(SUITE_PRESETS.full.epochs);
    expect(resolveSuiteOptions({suite: 'full', epochs: 2}).epochs).toBe(2);
  });

  it('always runs float32 first, once', () => {
    expect(resolveSuiteOptions({policies: ['mixed_bfloat16']}).policies).toEqual([
      'float32',
      'mixed_bfloat16',
    ]);
    expect(resolveSuiteOptions({policies: ['mixed_float16', 'float32']}).policies).toEqual([
      'float32',
      'mixed_float16',
    ]);
  });

  it('names the bad value and what is allowed', () => {
    expect(() => resolveSuiteOptions({backend: 'tpu' as never})).toThrow(
      "tfjs-amp-bench: unknown backend 'tpu'. Allowed: cpu, tensorflow, wasm, webgl, webgpu.",
    );
    expect(() => resolveSuiteOptions({policies: ['mixed_float61' as never]})).toThrow(
      /unknown policy 'mixed_float61'\. Allowed: bfloat16, float16, float32, mixed_bfloat16, mixed_float16/,
    );
    expect(() => resolveSuiteOptions({workloads: ['resnet50']})).toThrow(
      /unknown workload 'resnet50'\. Allowed: cnn, cnn-wide, mlp, resnet, sequence, transformer, w1, w4\. Or pass a file/,
    );
    expect(() => resolveSuiteOptions({epochs: 0})).toThrow(
      'tfjs-amp-bench: epochs must be an integer ≥ 1; got 0.',
    );
    expect(() => resolveSuiteOptions({batchSize: 9000})).toThrow(
      'batchSize (--batch) must be an integer in [1, 4096]; got 9000.',
    );
    expect(() => resolveSuiteOptions({trainSize: 9000, testSize: 2000})).toThrow(
      /at most 10000 for MNIST workloads; got 9000 \+ 2000/,
    );
    expect(() => resolveSuiteOptions({smallGradientScale: 2})).toThrow(RangeError);
    expect(() => resolveSuiteOptions({suite: 'huge' as never})).toThrow(
      "unknown suite 'huge'. Allowed: full, quick.",
    );
    expect(() => resolveSuiteOptions({epoch: 1} as never)).toThrow(
      /unknown option 'epoch'\. Allowed: ablation, backend/,
    );
    expect(() => resolveSuiteOptions({workloads: ['mlp', 'mlp']})).toThrow(
      "workload 'mlp' is listed twice",
    );
  });
});
