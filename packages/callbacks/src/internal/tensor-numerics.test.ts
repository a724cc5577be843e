import * as tf from '@tensorflow/tfjs';
import {FORMAT_NAMES, type FormatName, getFormat, roundArray} from '@tfjs-amp/kernels';
import {describeBackends, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {
  hasOverflow,
  mergeTensorNumerics,
  numericsTensors,
  type TensorNumerics,
  toTensorNumerics,
} from './tensor-numerics.js';

/** The same counters computed in plain JS with kernels' typed-array rounding. */
function reference(values: Float32Array, format: FormatName): TensorNumerics {
  const spec = getFormat(format);
  const q = roundArray(values, format);
  const out: TensorNumerics = {
    size: values.length,
    maxAbs: 0,
    maxAbsRatio: 0,
    nan: 0,
    inf: 0,
    overflow: 0,
    underflow: 0,
    subnormal: 0,
    zero: 0,
  };
  values.forEach((v, i) => {
    const r = q[i]!;
    if (Number.isNaN(v)) out.nan++;
    else if (!Number.isFinite(v)) out.inf++;
    else {
      out.maxAbs = Math.max(out.maxAbs, Math.abs(v));
      if (!Number.isFinite(r)) out.overflow++;
    }
    if (v === 0) out.zero++;
    else if (r === 0) out.underflow++;
    if (r !== 0 && Math.abs(r) < spec.minNormal) out.subnormal++;
  });
  out.maxAbsRatio = out.maxAbs / spec.maxFinite;
  return out;
}

/** Values at every edge of every format: around min subnormal, min normal, max finite. */
function edgeValues(): Float32Array {
  const values: number[] = [0, -0, Number.NaN, Infinity, -Infinity, 1, -1, 0.1];
  for (const name of FORMAT_NAMES) {
    const f = getFormat(name);
    const ulpAtMax = f.maxFinite * 2 ** -(f.mantissaBits + 1) * (2 / (2 - f.epsilon));
    for (const base of [f.minSubnormal, f.minNormal, f.maxFinite]) {
      for (const k of [0.25, 0.5, 0.5000001, 0.75, 0.999, 1, 1.001, 1.5, 2]) {
        values.push(base * k, -base * k);
      }
    }
    values.push(f.maxFinite + ulpAtMax / 2, f.maxFinite + ulpAtMax / 2 - ulpAtMax / 8);
    values.push(f.minNormal - f.minSubnormal / 2, f.minNormal - f.minSubnormal);
  }
  return Float32Array.from(values);
}

describeBackends(['wasm', 'cpu'], () => {
  describe('numericsTensors', () => {
    for (const format of FORMAT_NAMES) {
      it(`counts exactly what roundArray does at the edges of ${format}`, async () => {
        const values = edgeValues();
        const got = await expectNoLeaks(async () => {
          const x = tf.tensor1d(values);
          const {maxAbs, counts} = numericsTensors(x, format);
          const [m, c] = await Promise.all([maxAbs.data(), counts.data()]);
          tf.dispose([x, maxAbs, counts]);
          return toTensorNumerics(values.length, m[0]!, c, format);
        });
        expect(got).toEqual(reference(values, format));
      });
    }

    it('counts a float16 example derived by hand', async () => {
      // 65504: max finite, no overflow. 65520: the tie above it rounds to Inf (overflow).
      // 2^-25: exactly half the min subnormal 2^-24, ties to even → 0 (underflow).
      // 2^-24 and 2^-15: subnormals (min normal is 2^-14). NaN and Inf counted apart.
      const values = Float32Array.from([
        65504,
        65520,
        2 ** -25,
        2 ** -24,
        2 ** -15,
        0,
        NaN,
        -Infinity,
      ]);
      const x = tf.tensor1d(values);
      const {maxAbs, counts} = numericsTensors(x, 'float16');
      const got = toTensorNumerics(8, (await maxAbs.data())[0]!, await counts.data(), 'float16');
      tf.dispose([x, maxAbs, counts]);
      expect(got).toEqual({
        size: 8,
        maxAbs: 65520,
        maxAbsRatio: 65520 / 65504,
        nan: 1,
        inf: 1,
        overflow: 1,
        underflow: 1,
        subnormal: 2,
        zero: 1,
      });
      expect(hasOverflow(got)).toBe(true);
    });
  });
});

describe('mergeTensorNumerics', () => {
  it('adds counts and keeps the larger maximum', () => {
    const a = toTensorNumerics(10, 3, [1, 0, 0, 2, 0, 4], 'float16');
    const b = toTensorNumerics(5, 7, [0, 1, 1, 0, 3, 0], 'float16');
    expect(mergeTensorNumerics(a, b)).toEqual({
      size: 15,
      maxAbs: 7,
      maxAbsRatio: 7 / 65504,
      nan: 1,
      inf: 1,
      overflow: 1,
      underflow: 2,
      subnormal: 3,
      zero: 4,
    });
    expect(hasOverflow(a)).toBe(true);
    expect(hasOverflow(toTensorNumerics(1, 0, [0, 0, 0, 0, 0, 0], 'float16'))).toBe(false);
  });
});
