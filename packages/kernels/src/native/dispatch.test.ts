import {describe, expect, it} from 'vitest';
import {parseCpuInfo} from './cpu-features.js';
import {
  fasterThanFloat32,
  getNativeDispatch,
  NATIVE_DISPATCH_MODES,
  setNativeDispatch,
} from './dispatch.js';

const cpu = (flags: string) => parseCpuInfo(`model name\t: test\nflags\t\t: ${flags}\n`);

describe('fasterThanFloat32', () => {
  it('expects bfloat16 to pay off only with bfloat16 units, float16 only with AMX-FP16', () => {
    const avx2 = cpu('avx2 fma f16c');
    const zen4 = cpu('avx2 avx512f avx512_bf16');
    const spr = cpu('avx2 avx512f avx512_bf16 avx512_fp16 amx_tile amx_bf16');
    const gnr = cpu('avx2 avx512f avx512_bf16 avx512_fp16 amx_tile amx_bf16 amx_fp16');
    const table = [avx2, zen4, spr, gnr].map((c) => [
      fasterThanFloat32('bfloat16', 'cpu', c).faster,
      fasterThanFloat32('float16', 'cpu', c).faster,
    ]);
    expect(table).toEqual([
      [false, false],
      [true, false],
      [true, false],
      [true, true],
    ]);
  });

  it('names the missing units and the flags it saw', () => {
    const why = fasterThanFloat32('bfloat16', 'cpu', cpu('avx2 fma f16c')).why;
    expect(why).toBe('CPU has no bfloat16 units (avx512_bf16, amx_bf16) [avx2 fma f16c]');
  });

  it('expects every 16-bit format to pay off on a GPU and no other format anywhere', () => {
    expect(fasterThanFloat32('float16', 'gpu', cpu('')).faster).toBe(true);
    expect(fasterThanFloat32('tf32', 'cpu', cpu('amx_bf16 amx_fp16')).faster).toBe(false);
  });
});

describe('setNativeDispatch', () => {
  it('returns the previous mode and accepts only the listed modes', () => {
    const start = getNativeDispatch();
    expect(NATIVE_DISPATCH_MODES).toEqual(['accurate', 'all', 'auto', 'none']);
    expect(setNativeDispatch('none')).toBe(start);
    expect(getNativeDispatch()).toBe('none');
    expect(() => setNativeDispatch('fast' as never)).toThrow(
      "setNativeDispatch: unknown mode 'fast'. Allowed: accurate, all, auto, none.",
    );
    expect(getNativeDispatch()).toBe('none');
    setNativeDispatch(start);
  });
});
