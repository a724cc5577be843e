import {describe, expect, it} from 'vitest';
import type {FormatSpec} from './format-spec.js';
import {FORMAT_NAMES, getFormat, isFormatName} from './index.js';

// Every field derived by hand from the format's definition:
// bias = 2^(E−1) − 1 (e4m3fn too: 7); minNormal = 2^(1 − bias); minSubnormal = 2^(1 − bias − M);
// epsilon = 2^−M; maxFinite = (2 − 2^−M) · 2^(2^E − 2 − bias) for IEEE-style formats (the
// all-ones exponent is Inf/NaN), and 1.110b · 2^(15 − 7) = 1.75 · 256 = 448 for e4m3fn, whose
// all-ones exponent still holds normals except mantissa 111 (NaN).
// biome-ignore format: a table
const EXPECTED: Record<string, Omit<FormatSpec, 'name'>> = {
  bfloat16: {
    storageBits: 16, exponentBits: 8, mantissaBits: 7, bias: 127,
    maxFinite: (2 - 2 ** -7) * 2 ** 127, // 3.3895313892515355e38
    minNormal: 2 ** -126, minSubnormal: 2 ** -133, epsilon: 2 ** -7,
    hasInf: true, nanEncoding: 'ieee',
  },
  float16: {
    storageBits: 16, exponentBits: 5, mantissaBits: 10, bias: 15,
    maxFinite: 65504, // (2 − 2^−10) · 2^15
    minNormal: 2 ** -14, minSubnormal: 2 ** -24, epsilon: 2 ** -10,
    hasInf: true, nanEncoding: 'ieee',
  },
  float32: {
    storageBits: 32, exponentBits: 8, mantissaBits: 23, bias: 127,
    maxFinite: 3.4028234663852886e38, // (2 − 2^−23) · 2^127
    minNormal: 2 ** -126, minSubnormal: 2 ** -149, epsilon: 2 ** -23,
    hasInf: true, nanEncoding: 'ieee',
  },
  float8_e4m3fn: {
    storageBits: 8, exponentBits: 4, mantissaBits: 3, bias: 7,
    maxFinite: 448,
    minNormal: 2 ** -6, minSubnormal: 2 ** -9, epsilon: 0.125,
    hasInf: false, nanEncoding: 'all-ones',
  },
  float8_e5m2: {
    storageBits: 8, exponentBits: 5, mantissaBits: 2, bias: 15,
    maxFinite: 57344, // (2 − 2^−2) · 2^15 = 1.75 · 32768
    minNormal: 2 ** -14, minSubnormal: 2 ** -16, epsilon: 0.25,
    hasInf: true, nanEncoding: 'ieee',
  },
  tf32: {
    storageBits: 32, exponentBits: 8, mantissaBits: 10, bias: 127,
    maxFinite: (2 - 2 ** -10) * 2 ** 127, // 3.4011621342146535e38
    minNormal: 2 ** -126, minSubnormal: 2 ** -136, epsilon: 2 ** -10,
    hasInf: true, nanEncoding: 'ieee',
  },
};

describe('FORMAT_NAMES', () => {
  it('lists the six formats, sorted and frozen', () => {
    expect(FORMAT_NAMES).toEqual([
      'bfloat16',
      'float16',
      'float32',
      'float8_e4m3fn',
      'float8_e5m2',
      'tf32',
    ]);
    expect(Object.isFrozen(FORMAT_NAMES)).toBe(true);
  });
});

describe('getFormat', () => {
  it.each(Object.keys(EXPECTED))('describes %s with every field derived by hand', (name) => {
    const spec = getFormat(name as FormatSpec['name']);
    expect(spec).toEqual({name, ...EXPECTED[name]});
    expect(Object.isFrozen(spec)).toBe(true);
  });

  it('gives values that are float32 numbers themselves', () => {
    for (const name of FORMAT_NAMES) {
      const spec = getFormat(name);
      for (const v of [spec.maxFinite, spec.minNormal, spec.minSubnormal, spec.epsilon]) {
        expect(Math.fround(v)).toBe(v);
      }
    }
  });

  it('looks a descriptor up by its name', () => {
    const spec = getFormat('float16');
    expect(getFormat({...spec})).toBe(spec);
  });

  it('names the unknown value and lists the allowed names', () => {
    expect(() => getFormat('float61' as 'float16')).toThrow(
      new TypeError(
        "getFormat: unknown format 'float61'. Allowed: bfloat16, float16, float32, float8_e4m3fn, float8_e5m2, tf32.",
      ),
    );
    expect(() => getFormat(16 as unknown as 'float16')).toThrow(/unknown format 16\. Allowed: /);
    expect(() => getFormat({name: 'half'} as unknown as FormatSpec)).toThrow(
      /unknown format 'half'/,
    );
  });
});

describe('isFormatName', () => {
  it('accepts the names and nothing else', () => {
    for (const name of FORMAT_NAMES) expect(isFormatName(name)).toBe(true);
    for (const value of ['Float16', 'half', '', 'toString', 'constructor', 16, null, undefined]) {
      expect(isFormatName(value)).toBe(false);
    }
  });
});
