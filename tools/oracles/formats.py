"""Format parameters and an exact rational rounding oracle, independent of numpy and ml_dtypes.

Every format is described by its own numbers (exponent and mantissa widths, bias, largest finite
value, whether Inf exists); rounding is done on exact fractions with Python's round-half-even,
so nothing here shares code or tricks with the TypeScript implementation (which works on float32
bit patterns) or with the libraries (which work in C++ on bits).

NaN policy (the one @tfjs-amp/kernels documents): a NaN input keeps its sign and the top
`mantissa_bits` of its payload, and gets the quiet bit; float8_e4m3fn has a single NaN per sign
(0x7f / 0xff), so its payload is dropped. float32 is the identity: every bit pattern, NaN
included, passes unchanged.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Format:
    name: str
    storage_bits: int
    exponent_bits: int
    mantissa_bits: int
    bias: int
    max_finite: Fraction
    has_inf: bool
    one_nan: bool  # float8_e4m3fn: NaN only with exponent and mantissa all ones

    @property
    def min_normal(self) -> Fraction:
        return Fraction(2) ** (1 - self.bias)

    @property
    def min_subnormal(self) -> Fraction:
        return Fraction(2) ** (1 - self.bias - self.mantissa_bits)

    @property
    def epsilon(self) -> Fraction:
        return Fraction(2) ** -self.mantissa_bits


def _ieee(name: str, storage: int, e: int, m: int) -> Format:
    bias = 2 ** (e - 1) - 1
    max_exponent = 2**e - 2 - bias
    max_finite = (2 - Fraction(2) ** -m) * Fraction(2) ** max_exponent
    return Format(name, storage, e, m, bias, max_finite, True, False)


FORMATS: dict[str, Format] = {
    "bfloat16": _ieee("bfloat16", 16, 8, 7),
    "float16": _ieee("float16", 16, 5, 10),
    "float32": _ieee("float32", 32, 8, 23),
    # OCP FP8 E4M3: bias 7; exponent field 15 holds normals except mantissa 111 (NaN), so the
    # largest finite value is 1.110b × 2^8 = 448.
    "float8_e4m3fn": Format("float8_e4m3fn", 8, 4, 3, 7, Fraction(448), False, True),
    "float8_e5m2": _ieee("float8_e5m2", 8, 5, 2),
    "tf32": _ieee("tf32", 32, 8, 10),
}


def f32_value(bits: int) -> float:
    return struct.unpack("<f", struct.pack("<I", bits & 0xFFFFFFFF))[0]


def f32_bits_exact(value: Fraction | int | float) -> int:
    """float32 bits of a value that must be exactly representable in float32."""
    as_float = float(value)
    bits = struct.unpack("<I", struct.pack("<f", as_float))[0]
    if Fraction(f32_value(bits)) != Fraction(value):
        raise ValueError(f"{value} is not a float32")
    return bits


def is_nan_bits(bits: int) -> bool:
    return (bits & 0x7FFFFFFF) > 0x7F800000


def floor_log2(v: Fraction) -> int:
    """floor(log2 v) for v > 0, exactly."""
    e = v.numerator.bit_length() - v.denominator.bit_length()
    # 2^e is within a factor 2 of v; fix it up.
    while Fraction(2) ** e > v:
        e -= 1
    while Fraction(2) ** (e + 1) <= v:
        e += 1
    return e


def nan_policy_bits(bits: int, fmt: Format) -> int:
    """float32 bits our rounding gives for a NaN input (see the module docstring)."""
    if fmt.mantissa_bits == 23:
        return bits
    sign = bits & 0x80000000
    if fmt.one_nan:
        return sign | 0x7FC00000
    drop = 23 - fmt.mantissa_bits
    payload_mask = (0x7FFFFF >> drop) << drop
    return sign | 0x7FC00000 | (bits & payload_mask)


def round_exact(bits: int, fmt: Format, saturate: bool = False) -> int:
    """float32 bits of the float32 input `bits` rounded to `fmt` (round half to even).
    float32 is the identity, with or without `saturate`."""
    if fmt.mantissa_bits == 23:
        return bits
    sign = bits & 0x80000000
    magnitude_bits = bits & 0x7FFFFFFF
    if magnitude_bits > 0x7F800000:
        return nan_policy_bits(bits, fmt)
    overflow = (
        f32_bits_exact(fmt.max_finite)
        if saturate
        else (0x7F800000 if fmt.has_inf else 0x7FC00000)
    )
    if magnitude_bits == 0x7F800000:
        return sign | overflow
    v = Fraction(f32_value(magnitude_bits))
    if v == 0:
        return sign
    e = max(floor_log2(v), 1 - fmt.bias)
    quantum = Fraction(2) ** (e - fmt.mantissa_bits)
    rounded = round(v / quantum) * quantum  # Fraction.__round__: ties to even
    if rounded > fmt.max_finite:
        return sign | overflow
    return sign | f32_bits_exact(rounded)


def encode_exact(rounded_bits: int, fmt: Format) -> int:
    """The format's own code for float32 bits already representable in `fmt`."""
    if fmt.storage_bits == 32:
        return rounded_bits
    m = fmt.mantissa_bits
    sign = (rounded_bits >> 31) << (fmt.storage_bits - 1)
    exponent_all_ones = (1 << fmt.exponent_bits) - 1
    magnitude_bits = rounded_bits & 0x7FFFFFFF
    if magnitude_bits > 0x7F800000:
        if fmt.one_nan:
            return sign | (exponent_all_ones << m) | ((1 << m) - 1)
        payload = (magnitude_bits >> (23 - m)) & ((1 << m) - 1)
        return sign | (exponent_all_ones << m) | payload
    if magnitude_bits == 0x7F800000:
        assert fmt.has_inf
        return sign | (exponent_all_ones << m)
    v = Fraction(f32_value(magnitude_bits))
    if v == 0:
        return sign
    if v < fmt.min_normal:
        count = v / fmt.min_subnormal
        assert count.denominator == 1
        return sign | int(count)
    e = floor_log2(v)
    fraction = (v / Fraction(2) ** e - 1) * 2**m
    assert fraction.denominator == 1
    return sign | ((e + fmt.bias) << m) | int(fraction)
