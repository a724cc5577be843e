/**
 * WGSL helpers that round float32 to float16 with integer arithmetic on the bit patterns, so the
 * result is the same on every device: WGSL leaves the rounding direction of an f32 → f16
 * conversion to the implementation, and its result for values past f16's range (and for Inf or
 * NaN) indeterminate. The rules are the package's (see `shared/round-bits.ts`): round to nearest,
 * ties to even; float16 subnormals kept (float32 subnormal inputs round to ±0); the sign of zero
 * kept; |x| ≥ 65520 (Inf included) overflows to ±Inf, or to ±65504 when saturating; NaN stays
 * NaN with its sign and the top 10 payload bits, quiet bit set.
 *
 * - `ampF16Bits(b: u32) -> u32`: float16 bits (low 16) of the float32 with bits `b`;
 * - `ampF16GridBits(h: u32) -> u32`: the float32 bits of float16 bits `h` (exact);
 * - `ampRound16(b: u32) -> u32`: both, float32 bits in and out (what AmpQuantize computes);
 * - `ampF16(b: u32) -> f16` (only with `withF16Type`): the float16 value, by bitcast.
 */
export function wgslFloat16(saturate: boolean, withF16Type: boolean): string {
  const overflow = saturate ? '0x7bffu' : '0x7c00u';
  const f16Type = withF16Type
    ? `
fn ampF16(b: u32) -> f16 {
  return bitcast<vec2<f16>>(ampF16Bits(b)).x;
}
`
    : '';
  return `
fn ampF16Bits(b: u32) -> u32 {
  let sign = (b >> 16u) & 0x8000u;
  let a = b & 0x7fffffffu;
  if (a > 0x7f800000u) { return sign | 0x7e00u | ((a >> 13u) & 0x3ffu); }
  if (a >= 0x477ff000u) { return sign | ${overflow}; }
  if (a >= 0x38800000u) { return sign | ((a + 0xfffu + ((a >> 13u) & 1u) - 0x38000000u) >> 13u); }
  let e = a >> 23u;
  if (e < 102u) { return sign; }
  let m = (a & 0x7fffffu) | 0x800000u;
  let s = 126u - e;
  var n = m >> s;
  let rem = m & ((1u << s) - 1u);
  let half = 1u << (s - 1u);
  if (rem > half || (rem == half && (n & 1u) == 1u)) { n = n + 1u; }
  return sign | n;
}

fn ampF16GridBits(h: u32) -> u32 {
  let sign = (h & 0x8000u) << 16u;
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  if (e == 31u) { return sign | 0x7f800000u | (m << 13u); }
  if (e == 0u) {
    if (m == 0u) { return sign; }
    let p = firstLeadingBit(m);
    return sign | ((p + 103u) << 23u) | ((m << (23u - p)) & 0x7fffffu);
  }
  return sign | ((e + 112u) << 23u) | (m << 13u);
}

fn ampRound16(b: u32) -> u32 {
  return ampF16GridBits(ampF16Bits(b));
}
${f16Type}`;
}

/** A float32 constant as exact WGSL (`bitcast<f32>(0x…u)`), for attributes baked into shaders. */
export function wgslF32(value: number): string {
  const bits = new Uint32Array(new Float32Array([value]).buffer)[0]!;
  return `bitcast<f32>(0x${bits.toString(16)}u)`;
}
