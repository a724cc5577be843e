"""Writes packages/kernels/test/fixtures/rounding.json: float32 → format rounding, from oracles.

For every format: curated edge cases (ties both ways, subnormal boundaries, the min-subnormal
tie, max finite, the overflow threshold and its neighbours, ±0, ±Inf, NaNs, float32 subnormals)
and random bit patterns (uniform, focused on the format's exponent range, and exact ties), each
with the expected float32 output bits, the format's own code (8/16-bit formats) and the
expected saturating output.

Oracles:
- float16: numpy.float16 (IEEE binary16).
- bfloat16, float8_e4m3fn, float8_e5m2: ml_dtypes.
- tf32: no library has it; two independent oracles that must agree: exact rational rounding
  (formats.py, Python fractions) and float64 arithmetic (numpy frexp / rint / ldexp).
- float32: the identity.
Every library result is also checked against the exact rational oracle; the script stops on any
disagreement other than the documented NaN policy.

NaN policy: our rounding keeps a NaN's sign and top payload bits and sets the quiet bit (x86
F16C does the same). numpy float16 keeps a signalling NaN signalling; ml_dtypes returns one
canonical NaN per sign. Where the output is NaN the fixture therefore holds our policy's bits,
after checking that the library's output is NaN with the same sign.

Saturating mode: ml_dtypes has none, so the expected saturating output is derived from the
non-saturating library result (finite overflow and ±Inf → ±max finite, NaN stays NaN) and
checked against the exact oracle's own saturating rounding.

Usage: python tools/oracles/rounding_fixtures.py [output.json]
"""

from __future__ import annotations

import base64
import json
import platform
import re
import sys
from fractions import Fraction
from pathlib import Path

import ml_dtypes
import numpy as np

from formats import (
    FORMATS,
    Format,
    encode_exact,
    f32_bits_exact,
    is_nan_bits,
    nan_policy_bits,
    round_exact,
)

SEED = 20240601
UNIFORM = 400
FOCUSED = 900
TIES = 200

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "packages/kernels/test/fixtures/rounding.json"

LIBRARY = {
    "float16": ("numpy.float16", np.float16, np.uint16),
    "bfloat16": ("ml_dtypes.bfloat16", ml_dtypes.bfloat16, np.uint16),
    "float8_e4m3fn": ("ml_dtypes.float8_e4m3fn", ml_dtypes.float8_e4m3fn, np.uint8),
    "float8_e5m2": ("ml_dtypes.float8_e5m2", ml_dtypes.float8_e5m2, np.uint8),
}


def tf32_float64_oracle(bits: np.ndarray) -> np.ndarray:
    """tf32 rounding in float64 arithmetic (independent of the exact oracle); NaN → policy."""
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        x = bits.view(np.float32).astype(np.float64)
        magnitude = np.abs(x)
        _, e = np.frexp(magnitude)  # magnitude = f × 2^e, f in [0.5, 1)
        e = np.maximum(e - 1, -126)  # floor(log2|x|), clamped to the min normal exponent
        quantum_exponent = e - 10
        n = np.rint(np.ldexp(magnitude, -quantum_exponent))  # exact scaling, then ties to even
        rounded = np.ldexp(n, quantum_exponent)
        rounded = np.where(rounded > float(FORMATS["tf32"].max_finite), np.inf, rounded)
        rounded = np.where(np.isinf(magnitude), np.inf, rounded)
        out = np.copysign(rounded, x).astype(np.float32).view(np.uint32).copy()
    nan = np.isnan(x)
    out[nan] = [nan_policy_bits(int(b), FORMATS["tf32"]) for b in bits[nan]]
    return out


def library_round(fmt: Format, bits: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(float32 output bits, format codes) from the library oracle of `fmt`."""
    x = bits.view(np.float32)
    if fmt.name == "float32":
        return bits.copy(), None
    if fmt.name == "tf32":
        return tf32_float64_oracle(bits), None
    _, dtype, code_type = LIBRARY[fmt.name]
    with np.errstate(over="ignore", invalid="ignore"):
        y = x.astype(dtype)
    return y.astype(np.float32).view(np.uint32).copy(), y.view(code_type).copy()


def sign_of(bits: int) -> int:
    return (bits >> 31) & 1


def check_and_expect(fmt: Format, bits: np.ndarray) -> dict[str, list[int]]:
    """Expected outputs for `bits`, after checking the library oracle against the exact one."""
    library_out, library_code = library_round(fmt, bits)
    out: list[int] = []
    codes: list[int] = []
    saturated: list[int] = []
    max_bits = f32_bits_exact(fmt.max_finite)
    for i, b in enumerate(int(v) for v in bits):
        exact = round_exact(b, fmt)
        lib = int(library_out[i])
        if is_nan_bits(exact) or is_nan_bits(lib):
            if not (is_nan_bits(exact) and is_nan_bits(lib) and sign_of(exact) == sign_of(lib)):
                raise AssertionError(
                    f"{fmt.name}: NaN disagreement for input 0x{b:08x}: exact 0x{exact:08x}, library 0x{lib:08x}"
                )
        elif exact != lib:
            raise AssertionError(
                f"{fmt.name}: input 0x{b:08x}: exact oracle 0x{exact:08x}, library 0x{lib:08x}"
            )
        code = encode_exact(exact, fmt)
        if library_code is not None and not is_nan_bits(exact) and int(library_code[i]) != code:
            raise AssertionError(
                f"{fmt.name}: input 0x{b:08x}: code exact 0x{code:x}, library 0x{int(library_code[i]):x}"
            )
        # Saturating expectation derived from the (non-saturating) library result …
        if is_nan_bits(b) or fmt.name == "float32":
            derived = nan_policy_bits(b, fmt)  # float32: the identity, saturating or not
        elif (lib & 0x7FFFFFFF) == 0x7F800000 or is_nan_bits(lib):
            derived = (lib & 0x80000000) | max_bits
        else:
            derived = lib
        # … and checked against the exact oracle's own saturating rounding.
        sat = round_exact(b, fmt, saturate=True)
        if sat != derived:
            raise AssertionError(
                f"{fmt.name}: saturating 0x{b:08x}: exact 0x{sat:08x}, derived 0x{derived:08x}"
            )
        out.append(exact)
        codes.append(code)
        saturated.append(sat)
    return {"out": out, "code": codes, "saturated": saturated}


def as_f32(value: float) -> Fraction:
    """The float32 nearest to `value`, exactly."""
    return Fraction(float(np.float32(value)))


def curated(fmt: Format) -> list[tuple[str, int]]:
    """Named edge-case inputs (float32 bits) for `fmt`; values that are not float32 are skipped."""
    two = Fraction(2)
    m = fmt.mantissa_bits
    eps = fmt.epsilon
    min_s = fmt.min_subnormal
    min_n = fmt.min_normal
    max_f = fmt.max_finite
    ulp_max = two ** (max_exponent(fmt) - m)
    named: list[tuple[str, Fraction]] = [
        ("one", Fraction(1)),
        ("1 + eps/2: tie, rounds down to even 1", 1 + eps / 2),
        ("1 + 3eps/2: tie, rounds up to even 1 + 2eps", 1 + 3 * eps / 2),
        ("1 + eps/4: below half, rounds down", 1 + eps / 4),
        ("1 + 3eps/4: above half, rounds up", 1 + 3 * eps / 4),
        ("2 - eps/4: carries into the exponent, rounds to 2", 2 - eps / 4),
        ("0.1", as_f32(0.1)),
        ("pi", as_f32(np.pi)),
        ("max finite", max_f),
        ("max finite + ulp/2: the overflow tie", max_f + ulp_max / 2),
        ("max finite + ulp/4: rounds down to max", max_f + ulp_max / 4),
        ("max finite + ulp: overflows", max_f + ulp_max),
        ("2 x max finite: overflows", 2 * max_f),
        ("min normal", min_n),
        ("largest subnormal", min_n - min_s),
        ("largest subnormal + minSubnormal/2: tie, rounds up to min normal", min_n - min_s / 2),
        ("min subnormal", min_s),
        ("min subnormal / 2: tie, rounds to even 0", min_s / 2),
        ("min subnormal / 4: rounds to 0", min_s / 4),
        ("3 x min subnormal / 2: tie, rounds to even 2 x min subnormal", 3 * min_s / 2),
        ("5 x min subnormal / 2: tie, rounds to even 2 x min subnormal", 5 * min_s / 2),
        ("1.25 x min subnormal: rounds down", 5 * min_s / 4),
        ("1e-5", as_f32(1e-5)),
        ("1e-9", as_f32(1e-9)),
        ("300", Fraction(300)),
        ("464: e4m3fn overflow tie", Fraction(464)),
        ("65519", Fraction(65519)),
        ("65520: float16 overflow tie", Fraction(65520)),
    ]
    cases: list[tuple[str, int]] = []
    for label, value in named:
        try:
            bits = f32_bits_exact(value)
        except (ValueError, OverflowError):
            continue  # not a float32 (e.g. 2 x max for bfloat16)
        cases.append((label, bits))
        cases.append((f"-({label})", bits | 0x80000000))
        if value in (max_f + ulp_max / 2, min_s / 2, min_n - min_s / 2, 1 + eps / 2):
            # Float32 neighbours of a tie: just below and just above.
            cases.append((f"({label}) - 1 float32 ulp", bits - 1))
            cases.append((f"({label}) + 1 float32 ulp", bits + 1))
    cases += [
        ("+0", 0x00000000),
        ("-0", 0x80000000),
        ("+Inf", 0x7F800000),
        ("-Inf", 0xFF800000),
        ("quiet NaN", 0x7FC00000),
        ("-quiet NaN", 0xFFC00000),
        ("signalling NaN, payload 1", 0x7F800001),
        ("signalling NaN, top payload bit", 0x7FA00000),
        ("-NaN with payload 0x012345", 0xFF812345),
        ("NaN, all payload bits", 0x7FFFFFFF),
        ("smallest float32 subnormal", 0x00000001),
        ("-(smallest float32 subnormal)", 0x80000001),
        ("largest float32 subnormal", 0x007FFFFF),
        ("smallest float32 normal", 0x00800000),
        ("largest float32", 0x7F7FFFFF),
        ("-(largest float32)", 0xFF7FFFFF),
    ]
    seen: set[int] = set()
    unique = []
    for label, bits in cases:
        if bits not in seen:
            seen.add(bits)
            unique.append((label, bits))
    return unique


def max_exponent(fmt: Format) -> int:
    e = 0
    while Fraction(2) ** (e + 1) <= fmt.max_finite:
        e += 1
    while Fraction(2) ** e > fmt.max_finite:
        e -= 1
    return e


def random_inputs(fmt: Format, rng: np.random.Generator) -> np.ndarray:
    uniform = rng.integers(0, 2**32, UNIFORM, dtype=np.uint64).astype(np.uint32)
    # Exponent fields from a few binades below min subnormal to a few above max finite.
    low = max(0, 127 + (1 - fmt.bias - fmt.mantissa_bits) - 3)
    high = min(255, 127 + max_exponent(fmt) + 3)
    exponent = rng.integers(low, high + 1, FOCUSED, dtype=np.uint64)
    mantissa = rng.integers(0, 2**23, FOCUSED, dtype=np.uint64)
    sign = rng.integers(0, 2, FOCUSED, dtype=np.uint64)
    focused = ((sign << 31) | (exponent << 23) | mantissa).astype(np.uint32)
    # Exact ties: the dropped bits are 100…0 (for normals of the format; float32 is exact).
    drop = 23 - fmt.mantissa_bits
    tie_exp = rng.integers(max(1, 127 + 1 - fmt.bias), min(254, 127 + max_exponent(fmt)) + 1, TIES, dtype=np.uint64)
    kept = rng.integers(0, 2**fmt.mantissa_bits, TIES, dtype=np.uint64) if drop else np.zeros(TIES, np.uint64)
    tie_sign = rng.integers(0, 2, TIES, dtype=np.uint64)
    half = (1 << (drop - 1)) if drop else 0
    ties = ((tie_sign << 31) | (tie_exp << 23) | (kept << drop) | half).astype(np.uint32)
    return np.concatenate([uniform, focused, ties])


def b64(values: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(values).astype(values.dtype.newbyteorder("<")).tobytes()).decode()


def hex_bits(value: int, width: int) -> str:
    return f"0x{value:0{width}x}"


def format_entry(fmt: Format, rng: np.random.Generator) -> dict:
    code_width = fmt.storage_bits // 4
    code_type = {8: np.uint8, 16: np.uint16, 32: np.uint32}[fmt.storage_bits]
    named = curated(fmt)
    named_bits = np.array([b for _, b in named], dtype=np.uint32)
    expected = check_and_expect(fmt, named_bits)
    cases = []
    for i, (label, b) in enumerate(named):
        row = [label, hex_bits(b, 8), hex_bits(expected["out"][i], 8)]
        row.append(hex_bits(expected["code"][i], code_width) if fmt.storage_bits < 32 else None)
        row.append(hex_bits(expected["saturated"][i], 8))
        cases.append(row)
    entry: dict = {
        "oracle": LIBRARY[fmt.name][0] if fmt.name in LIBRARY else (
            "identity" if fmt.name == "float32"
            else "exact rational rounding (Python fractions) and float64 frexp/rint/ldexp, which agree"
        ),
        "cases": cases,
    }
    if fmt.name != "float32":
        inputs = random_inputs(fmt, rng)
        expected = check_and_expect(fmt, inputs)
        random = {
            "count": int(inputs.size),
            "input": b64(inputs),
            "out": b64(np.array(expected["out"], dtype=np.uint32)),
            "saturated": b64(np.array(expected["saturated"], dtype=np.uint32)),
        }
        if fmt.storage_bits < 32:
            random["code"] = b64(np.array(expected["code"], dtype=code_type))
        entry["random"] = random
    return entry


def main() -> None:
    out_path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    rng = np.random.default_rng(SEED)
    fixture = {
        "about": (
            "float32 -> format rounding expected by @tfjs-amp/kernels. Written by "
            "tools/oracles/rounding_fixtures.py; do not edit. Bits are float32 bit patterns; "
            "'code' is the format's own storage code; random arrays are base64 little-endian "
            "(uint32, codes uint8/uint16). Case rows: [label, input, out, code, saturated]."
        ),
        "nanPolicy": (
            "NaN keeps its sign and top mantissaBits payload bits and gets the quiet bit; "
            "float8_e4m3fn has one NaN per sign (0x7f/0xff); float32 passes bits unchanged."
        ),
        "generator": {
            "script": "tools/oracles/rounding_fixtures.py",
            "seed": SEED,
            "python": platform.python_version(),
            "numpy": np.__version__,
            "ml_dtypes": ml_dtypes.__version__,
        },
        "formats": {name: format_entry(fmt, rng) for name, fmt in sorted(FORMATS.items())},
    }
    out_path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(fixture, indent=1)
    # One line per case row (arrays of strings/null), so diffs stay readable.
    text = re.sub(r"\[\n\s+([^\[\]{}]*?)\n\s+\]", lambda m: "[" + re.sub(r"\n\s+", " ", m.group(1)) + "]", text)
    out_path.write_text(text + "\n")
    total = sum(
        len(f["cases"]) + f.get("random", {}).get("count", 0) for f in fixture["formats"].values()
    )
    print(f"wrote {out_path} ({out_path.stat().st_size} bytes, {total} inputs); all oracles agree")


if __name__ == "__main__":
    main()
