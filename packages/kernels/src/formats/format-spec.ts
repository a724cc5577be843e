/**
 * Names of the number formats tfjs-amp can round to. Values are always held in float32 tensors;
 * a format only says which float32 values are allowed (those the format can represent exactly).
 */
export type FormatName =
  | 'bfloat16'
  | 'float16'
  | 'float32'
  | 'float8_e4m3fn'
  | 'float8_e5m2'
  | 'tf32';

/**
 * A binary floating-point format, described as data. All numbers are exact (powers of two or
 * sums of them) and themselves representable in float32.
 */
export interface FormatSpec {
  /** The format's name, as Keras / PyTorch / ml_dtypes spell it. */
  readonly name: FormatName;
  /** Storage width in bits (tf32 is 19 bits of information stored in 32). */
  readonly storageBits: 8 | 16 | 32;
  /** Exponent field width. */
  readonly exponentBits: number;
  /** Explicit mantissa (fraction) bits; precision is this plus the implicit leading bit. */
  readonly mantissaBits: number;
  /** Exponent bias: a stored exponent field `e` (1 ≤ e) means 2^(e - bias). */
  readonly bias: number;
  /** Largest finite value. */
  readonly maxFinite: number;
  /** Smallest positive normal value, 2^(1 - bias). */
  readonly minNormal: number;
  /** Smallest positive subnormal value, 2^(1 - bias - mantissaBits). */
  readonly minSubnormal: number;
  /** Distance from 1 to the next larger value, 2^-mantissaBits. */
  readonly epsilon: number;
  /** Whether ±Infinity exist. Without them (float8_e4m3fn) overflow gives NaN, or ±maxFinite when saturating. */
  readonly hasInf: boolean;
  /**
   * How NaN is stored: `ieee` (all-ones exponent, any non-zero mantissa) or `all-ones` (only the
   * bit pattern with exponent and mantissa all ones, as in OCP float8_e4m3fn: 0x7f / 0xff).
   */
  readonly nanEncoding: 'ieee' | 'all-ones';
}

/** Builds an IEEE-754-style spec (all-ones exponent reserved for Inf/NaN). */
export function ieeeFormat(
  name: FormatName,
  storageBits: 8 | 16 | 32,
  exponentBits: number,
  mantissaBits: number,
): FormatSpec {
  const bias = 2 ** (exponentBits - 1) - 1;
  const maxExponent = 2 ** exponentBits - 2 - bias;
  return Object.freeze({
    name,
    storageBits,
    exponentBits,
    mantissaBits,
    bias,
    maxFinite: (2 - 2 ** -mantissaBits) * 2 ** maxExponent,
    minNormal: 2 ** (1 - bias),
    minSubnormal: 2 ** (1 - bias - mantissaBits),
    epsilon: 2 ** -mantissaBits,
    hasInf: true,
    nanEncoding: 'ieee',
  });
}
