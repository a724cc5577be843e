import type {FormatSpec} from './format-spec.js';

/**
 * OCP FP8 E4M3 (ml_dtypes `float8_e4m3fn`): 1/4/3, bias 7, no Infinity ("fn" = finite + NaN).
 * The all-ones exponent holds normal numbers except mantissa 111, which is NaN (0x7f / 0xff),
 * so the maximum is 1.75 × 2^8 = 448.
 */
export const FLOAT8_E4M3FN: FormatSpec = Object.freeze({
  name: 'float8_e4m3fn',
  storageBits: 8,
  exponentBits: 4,
  mantissaBits: 3,
  bias: 7,
  maxFinite: 448,
  minNormal: 2 ** -6,
  minSubnormal: 2 ** -9,
  epsilon: 2 ** -3,
  hasInf: false,
  nanEncoding: 'all-ones',
});
