"""Conformance sweep: @tfjs-amp/kernels rounding vs numpy / ml_dtypes / an independent tf32 oracle.

For each format, chunks of 2^24 float32 bit patterns go through our implementations (one
`round-stream.ts` process per implementation, streaming its output bits through a pipe) and
through the oracle here; every output is compared bit for bit.

Inputs: `all` = every pattern of the chunk range (--chunks 0:256 is all 2^32); `sample` =
fmix32(n) of the same indices (distinct pseudo-random patterns, see round-stream.ts).

Oracles: float16 numpy.float16; bfloat16, float8_e4m3fn, float8_e5m2 ml_dtypes; tf32 float64
arithmetic (frexp / ldexp / rint), independent of our float32 bit manipulation; float32 identity.

NaN: the oracles disagree with our documented policy only on NaN payloads (numpy keeps
signalling NaNs signalling, ml_dtypes returns one canonical NaN per sign). Where the oracle's
output is NaN we require ours to be NaN with the same sign and, for js / wasm, exactly the
policy's bits: sign | 0x7fc00000 | top mantissaBits payload bits of the input (no payload for
float8_e4m3fn, or when the NaN comes from an overflow). The generic kernel passes NaN through
as the backend does, so for it NaN-ness alone is compared.

Usage (from the repository root; python with numpy and ml_dtypes, see tools/oracles/README.md):
  python tools/conformance/sweep.py --formats float16,bfloat16 --chunks 0:256
  python tools/conformance/sweep.py --formats tf32 --mode sample --chunks 0:8
Exit status 1 if any mismatch was found.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import ml_dtypes
import numpy as np

CHUNK = 1 << 24
REPO = Path(__file__).resolve().parents[2]
STREAM = REPO / "tools/conformance/round-stream.ts"
MANTISSA_BITS = {
    "bfloat16": 7,
    "float16": 10,
    "float32": 23,
    "float8_e4m3fn": 3,
    "float8_e5m2": 2,
    "tf32": 10,
}
LIBRARY_TYPES = {
    "float16": np.float16,
    "bfloat16": ml_dtypes.bfloat16,
    "float8_e4m3fn": ml_dtypes.float8_e4m3fn,
    "float8_e5m2": ml_dtypes.float8_e5m2,
}
TF32_MAX = (2 - 2.0**-10) * 2.0**127


def fmix32(n: np.ndarray) -> np.ndarray:
    h = n.astype(np.uint32)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h


def chunk_inputs(chunk: int, mode: str) -> np.ndarray:
    n = np.arange(CHUNK, dtype=np.uint32) + np.uint32(chunk * CHUNK)
    return n if mode == "all" else fmix32(n)


def tf32_oracle(bits: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", over="ignore"):
        x = bits.view(np.float32).astype(np.float64)
        magnitude = np.abs(x)
        _, e = np.frexp(magnitude)
        quantum_exponent = np.maximum(e - 1, -126) - 10
        rounded = np.ldexp(np.rint(np.ldexp(magnitude, -quantum_exponent)), quantum_exponent)
        rounded[rounded > TF32_MAX] = np.inf
        rounded[np.isinf(magnitude)] = np.inf
        return np.copysign(rounded, x).astype(np.float32).view(np.uint32)


def oracle(format_name: str, bits: np.ndarray) -> np.ndarray:
    if format_name == "float32":
        return bits
    if format_name == "tf32":
        return tf32_oracle(bits)
    with np.errstate(over="ignore", invalid="ignore"):
        return bits.view(np.float32).astype(LIBRARY_TYPES[format_name]).astype(np.float32).view(np.uint32)


def is_nan(bits: np.ndarray) -> np.ndarray:
    return (bits & np.uint32(0x7FFFFFFF)) > np.uint32(0x7F800000)


def expected_bits(format_name: str, bits: np.ndarray, library: np.ndarray) -> tuple[np.ndarray, int]:
    """Oracle bits with NaN outputs replaced by our policy's; also counts oracle NaNs whose sign
    differs from the input's (an oracle disagreement, reported, never expected)."""
    if format_name == "float32":
        return library, 0
    m = MANTISSA_BITS[format_name]
    payload_mask = 0 if format_name == "float8_e4m3fn" else ((0x7FFFFF >> (23 - m)) << (23 - m))
    nan_at = np.flatnonzero(is_nan(library))
    if nan_at.size == 0:
        return library, 0
    expected = library.copy()
    x = bits[nan_at]
    sign = x & np.uint32(0x80000000)
    payload = np.where(is_nan(x), x & np.uint32(payload_mask), np.uint32(0))
    expected[nan_at] = sign | np.uint32(0x7FC00000) | payload
    odd_sign = int(np.count_nonzero((library[nan_at] & np.uint32(0x80000000)) != sign))
    return expected, odd_sign


def read_exactly(stream, size: int) -> bytearray:
    buffer = bytearray(size)
    view = memoryview(buffer)
    got = 0
    while got < size:
        n = stream.readinto(view[got:])
        if not n:
            raise RuntimeError(f"stream ended after {got} of {size} bytes")
        got += n
    return buffer


def sweep(format_name: str, impls: list[str], mode: str, first: int, count: int) -> int:
    tsx = REPO / "node_modules/.bin/tsx"
    procs = {
        impl: subprocess.Popen(
            [str(tsx), "--conditions=@tfjs-amp/source", str(STREAM), format_name, impl, mode, str(first), str(count)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            bufsize=0,
        )
        for impl in impls
    }
    mismatches = {impl: 0 for impl in impls}
    examples: dict[str, list[str]] = {impl: [] for impl in impls}
    oracle_odd = 0
    nan_outputs = 0
    started = time.monotonic()
    for chunk in range(first, first + count):
        bits = chunk_inputs(chunk, mode)
        library = oracle(format_name, bits)
        expected, odd = expected_bits(format_name, bits, library)
        oracle_odd += odd
        nan_at = np.flatnonzero(is_nan(expected))
        nan_outputs += int(nan_at.size)
        for impl, proc in procs.items():
            ours = np.frombuffer(read_exactly(proc.stdout, 4 * CHUNK), dtype="<u4")
            bad = ours != expected
            if impl == "generic-wasm" and nan_at.size:
                bad[nan_at] = ~is_nan(ours[nan_at])
            n_bad = int(np.count_nonzero(bad))
            if n_bad:
                mismatches[impl] += n_bad
                for i in np.flatnonzero(bad)[: max(0, 5 - len(examples[impl]))]:
                    examples[impl].append(
                        f"input 0x{int(bits[i]):08x}: ours 0x{int(ours[i]):08x}, expected 0x{int(expected[i]):08x}"
                    )
        done = chunk - first + 1
        if done % 16 == 0 or done == count:
            print(f"  {format_name}: {done}/{count} chunks, {time.monotonic() - started:.0f} s", flush=True)
    for impl, proc in procs.items():
        if proc.wait() != 0:
            raise RuntimeError(f"round-stream {impl} exited with {proc.returncode}")
    total = count * CHUNK
    for impl in impls:
        print(f"{format_name:14} {impl:13} {total:>11} patterns ({mode}): {mismatches[impl]} mismatches")
        for line in examples[impl]:
            print(f"    {line}")
    print(f"{'':14} oracle NaN outputs: {nan_outputs}; with a sign other than the input's: {oracle_odd}")
    print(f"{'':14} {time.monotonic() - started:.0f} s")
    return sum(mismatches.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--formats", default="float16,bfloat16")
    parser.add_argument("--impls", default="js,wasm")
    parser.add_argument("--mode", choices=["all", "sample"], default="all")
    parser.add_argument("--chunks", default="0:256", help="first:end chunk indices of 2^24 patterns")
    args = parser.parse_args()
    first, end = (int(v) for v in args.chunks.split(":"))
    if not (0 <= first < end <= 256):
        parser.error("--chunks must be first:end with 0 <= first < end <= 256")
    print(
        f"numpy {np.__version__}, ml_dtypes {ml_dtypes.__version__}, python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs"
    )
    started = time.monotonic()
    total_bad = 0
    for format_name in args.formats.split(","):
        total_bad += sweep(format_name, args.impls.split(","), args.mode, first, end - first)
    print(f"total: {total_bad} mismatches in {time.monotonic() - started:.0f} s")
    sys.exit(1 if total_bad else 0)


if __name__ == "__main__":
    main()
