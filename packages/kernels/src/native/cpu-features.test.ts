import {describe, expect, it} from 'vitest';
import {cpuFeatures, parseCpuInfo} from './cpu-features.js';

/** /proc/cpuinfo excerpts of CPUs this project has met (first processor only). */
const SAPPHIRE_RAPIDS = `processor\t: 0
model name\t: Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz
flags\t\t: fpu sse2 avx f16c fma avx2 avx512f avx512_bf16 avx512_fp16 amx_bf16 amx_tile amx_int8
`;
const EPYC_ZEN4 = `processor\t: 0
model name\t: AMD EPYC
flags\t\t: fpu sse2 avx f16c fma avx2 avx512f avx512_bf16 avx512_vnni
`;
const AVX2_ONLY = `processor\t: 0
model name\t: AMD EPYC
flags\t\t: fpu sse2 avx f16c fma avx2
`;
const GRANITE_RAPIDS = `model name\t: Intel(R) Xeon(R) 6
flags\t\t: avx2 avx512f avx512_bf16 avx512_fp16 amx_bf16 amx_fp16 amx_tile
`;

describe('parseCpuInfo', () => {
  it('reads the model, the flags of interest in a fixed order, and the 16-bit units', () => {
    const spr = parseCpuInfo(SAPPHIRE_RAPIDS);
    expect(spr.model).toBe('Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz');
    expect(spr.flags).toEqual([
      'avx2',
      'fma',
      'f16c',
      'avx512f',
      'avx512_bf16',
      'avx512_fp16',
      'amx_tile',
      'amx_bf16',
    ]);
    expect([spr.bf16Units, spr.fp16Units]).toEqual([true, false]);
    const zen4 = parseCpuInfo(EPYC_ZEN4);
    expect([zen4.bf16Units, zen4.fp16Units]).toEqual([true, false]);
    const avx2 = parseCpuInfo(AVX2_ONLY);
    expect(avx2.flags).toEqual(['avx2', 'fma', 'f16c']);
    expect([avx2.bf16Units, avx2.fp16Units]).toEqual([false, false]);
    expect(parseCpuInfo(GRANITE_RAPIDS).fp16Units).toBe(true);
  });

  it('gives unknown for text without the fields', () => {
    const none = parseCpuInfo('');
    expect(none.model).toBe('unknown');
    expect(none.flags).toEqual([]);
    expect(none.bf16Units).toBe(false);
  });

  it('reads this machine once', () => {
    expect(cpuFeatures()).toBe(cpuFeatures());
  });
});
