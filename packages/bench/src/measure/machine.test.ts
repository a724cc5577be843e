import {describe, expect, it} from 'vitest';
import {fakeReport} from '../../test/support.js';
import {cpuFlagsOf, describeHalfPrecisionUnits, halfPrecisionUnits} from './machine.js';

// Flags lines as /proc/cpuinfo prints them (shortened to the relevant part).
const AVX2_ONLY = 'processor\t: 0\nflags\t\t: fpu sse2 avx f16c fma avx2 bmi2\n';
const ZEN4 = 'flags\t\t: fpu avx f16c fma avx2 avx512f avx512bw avx512_bf16 avx512_vnni\n';
const SAPPHIRE_RAPIDS =
  'flags\t\t: avx f16c fma avx2 avx512f avx512_bf16 avx512_fp16 amx_bf16 amx_tile amx_int8\n';

describe('CPU flags and 16-bit units', () => {
  it('keeps the flags that explain a speed figure, in a fixed order', () => {
    expect(cpuFlagsOf(AVX2_ONLY)).toEqual(['avx2', 'fma', 'f16c']);
    expect(cpuFlagsOf(ZEN4)).toEqual(['avx2', 'fma', 'f16c', 'avx512f', 'avx512_bf16']);
    expect(cpuFlagsOf(SAPPHIRE_RAPIDS)).toEqual([
      'avx2',
      'fma',
      'f16c',
      'avx512f',
      'avx512_bf16',
      'avx512_fp16',
      'amx_tile',
      'amx_bf16',
    ]);
    expect(cpuFlagsOf('Processor : ARMv8\n')).toEqual([]);
  });

  it('says bf16 units need avx512_bf16 or amx_bf16, fp16 units amx_fp16 (as the kernels dispatch)', () => {
    expect(halfPrecisionUnits(cpuFlagsOf(AVX2_ONLY))).toEqual({bf16: false, fp16: false});
    expect(halfPrecisionUnits(cpuFlagsOf(ZEN4))).toEqual({bf16: true, fp16: false});
    expect(halfPrecisionUnits(['amx_bf16'])).toEqual({bf16: true, fp16: false});
    expect(halfPrecisionUnits(['amx_fp16'])).toEqual({bf16: false, fp16: true});
    // Sapphire Rapids: avx512_fp16 and AMX-BF16 but no AMX-FP16: TF's float16 kernels gain nothing.
    expect(halfPrecisionUnits(cpuFlagsOf(SAPPHIRE_RAPIDS))).toEqual({bf16: true, fp16: false});
  });

  it('describes what the CPU has and lacks in one line', () => {
    const machine = fakeReport([]).machine;
    expect(describeHalfPrecisionUnits({...machine, cpuFlags: cpuFlagsOf(AVX2_ONLY)})).toBe(
      'CPU flags: has avx2 fma f16c; lacks avx512f avx512_bf16 avx512_fp16 amx_tile amx_bf16 ' +
        'amx_fp16 · 16-bit units: bf16 no (needs avx512_bf16 or amx_bf16), fp16 no (needs ' +
        'amx_fp16)',
    );
    expect(describeHalfPrecisionUnits({...machine, cpuFlags: cpuFlagsOf(ZEN4)})).toMatch(
      /16-bit units: bf16 yes \(avx512_bf16\), fp16 no/,
    );
    expect(describeHalfPrecisionUnits({...machine, cpuFlags: []})).toBeNull();
  });
});
