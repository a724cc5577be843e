import {expect} from 'vitest';

type FloatArrayLike = Float32Array | ArrayLike<number>;

function toBits(values: FloatArrayLike): Uint32Array {
  const f32 = values instanceof Float32Array ? values : Float32Array.from(values);
  return new Uint32Array(f32.buffer, f32.byteOffset, f32.length);
}

function hex(bits: number): string {
  return `0x${(bits >>> 0).toString(16).padStart(8, '0')}`;
}

/**
 * Asserts two float32 arrays hold the same bit patterns (so -0 ≠ +0 and NaN payloads count).
 * On failure the message names the first differing indices with both values and their bits.
 */
export function expectBitsEqual(
  actual: FloatArrayLike,
  expected: FloatArrayLike,
  what = 'values',
): void {
  const a = toBits(actual);
  const e = toBits(expected);
  expect(a.length, `${what}: length`).toBe(e.length);
  const diffs: string[] = [];
  const af = new Float32Array(a.buffer, a.byteOffset, a.length);
  const ef = new Float32Array(e.buffer, e.byteOffset, e.length);
  for (let i = 0; i < a.length && diffs.length < 5; i++) {
    if (a[i] !== e[i]) {
      diffs.push(`[${i}] got ${af[i]} (${hex(a[i]!)}), want ${ef[i]} (${hex(e[i]!)})`);
    }
  }
  if (diffs.length > 0) {
    let count = 0;
    for (let i = 0; i < a.length; i++) if (a[i] !== e[i]) count++;
    expect.fail(`${what}: ${count} of ${a.length} differ bitwise\n  ${diffs.join('\n  ')}`);
  }
}

/** Bit pattern of one float32 value, for readable expectations in tests. */
export function f32Bits(value: number): number {
  const buf = new Float32Array([value]);
  return new Uint32Array(buf.buffer)[0]!;
}

/** float32 value of a bit pattern. */
export function f32FromBits(bits: number): number {
  return new Float32Array(new Uint32Array([bits >>> 0]).buffer)[0]!;
}
