import type {RoundingPlan} from '../../rounding/round-bits.js';

/**
 * The rounding core of `round-bits.ts` as a WebAssembly SIMD function, assembled here byte by
 * byte (no build step, no eval). It imports a `WebAssembly.Memory` — the tfjs wasm backend's own
 * heap — and rounds in place over it, four lanes at a time:
 *
 * ```
 * a   = u & 0x7fffffff                         sign = u ^ a
 * r   = (a + half + ((a >> drop) & 1)) & keep  round half to even on the dropped bits
 * r   = a ≥ hi ? overflow : r                  overflow, ±Inf
 * r   = a < lo ? f32((f32(a) + magic) − magic) : r   subnormals of narrow formats
 * r   = a > 0x7f800000 ? 0x7fc00000 | (a & payloadMask) : r   NaN
 * out = r | sign
 * ```
 * The 0–3 elements past the last multiple of four run the same lanes one at a time
 * (`v128.load32_zero` / `v128.store32_lane`), so every element takes the identical path.
 */
export type SimdRound = (
  srcOffset: number,
  dstOffset: number,
  length: number,
  plan: RoundingPlan,
) => void;

// Function parameters (locals 0..10) and locals, by index.
const SRC = 0;
const DST = 1;
const N = 2;
const HALF = 3;
const KEEP = 4;
const DROP = 5;
const LO = 6;
const HI_MINUS_1 = 7;
const OVERFLOW = 8;
const PAYLOAD = 9;
const MAGIC = 10;
const END = 11;
const U = 12;
const A = 13;
const R = 14;
const HALF_V = 15;
const KEEP_V = 16;
const LO_V = 17;
const HI_V = 18;
const OVERFLOW_V = 19;
const PAYLOAD_V = 20;
const MAGIC_V = 21;
const ABS_V = 22;
const INF_V = 23;
const QNAN_V = 24;
const ONE_V = 25;

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const get = (index: number) => [0x20, index];
const set = (index: number) => [0x21, index];
const i32Const = (value: number) => [0x41, ...sleb(value)];
const simd = (op: number) => [0xfd, ...uleb(op)];
// memarg: alignment 2^2 (float32 data), offset 0.
const memarg = [2, 0];

const op = {
  v128Load: simd(0x00),
  v128Store: simd(0x0b),
  i32x4Splat: simd(0x11),
  f32x4Splat: simd(0x13),
  i32x4GtS: simd(0x3b),
  and: simd(0x4e),
  or: simd(0x50),
  xor: simd(0x51),
  bitselect: simd(0x52),
  store32Lane: simd(0x5a),
  load32Zero: simd(0x5c),
  i32x4ShrU: simd(0xad),
  i32x4Add: simd(0xae),
  f32x4Add: simd(0xe4),
  f32x4Sub: simd(0xe5),
};

/** Rounds local U into the value left on the stack (see the pseudo-code above). */
// biome-ignore format: one line per step of the pseudo-code
const body = [
  ...get(U), ...get(ABS_V), ...op.and, ...set(A),
  ...get(A),
  ...get(A), ...get(DROP), ...op.i32x4ShrU, ...get(ONE_V), ...op.and,
  ...op.i32x4Add, ...get(HALF_V), ...op.i32x4Add, ...get(KEEP_V), ...op.and, ...set(R),
  ...get(OVERFLOW_V), ...get(R), ...get(A), ...get(HI_V), ...op.i32x4GtS, ...op.bitselect, ...set(R),
  ...get(A), ...get(MAGIC_V), ...op.f32x4Add, ...get(MAGIC_V), ...op.f32x4Sub,
  ...get(R), ...get(LO_V), ...get(A), ...op.i32x4GtS, ...op.bitselect, ...set(R),
  ...get(A), ...get(PAYLOAD_V), ...op.and, ...get(QNAN_V), ...op.or,
  ...get(R), ...get(A), ...get(INF_V), ...op.i32x4GtS, ...op.bitselect,
  ...get(U), ...get(A), ...op.xor, ...op.or,
];

/** `while (src < end) { load; body; store; src += step; dst += step }` */
function loop(load: number[], store: number[], step: number): number[] {
  // biome-ignore format: assembly
  return [
    0x02, 0x40, // block
    0x03, 0x40, // loop
    ...get(SRC), ...get(END), 0x4f /* i32.ge_u */, 0x0d, 1, // br_if 1 (leave the block)
    ...get(SRC), ...load, ...set(U),
    ...body, ...set(R),
    ...get(DST), ...get(R), ...store,
    ...get(SRC), ...i32Const(step), 0x6a, ...set(SRC),
    ...get(DST), ...i32Const(step), 0x6a, ...set(DST),
    0x0c, 0, // br 0 (next iteration)
    0x0b, 0x0b, // end loop, end block
  ];
}

function splat(param: number, local: number, splatOp: number[]): number[] {
  return [...get(param), ...splatOp, ...set(local)];
}

function constSplat(value: number, local: number): number[] {
  return [...i32Const(value), ...op.i32x4Splat, ...set(local)];
}

function code(): number[] {
  // biome-ignore format: assembly
  const instructions = [
    ...splat(HALF, HALF_V, op.i32x4Splat),
    ...splat(KEEP, KEEP_V, op.i32x4Splat),
    ...splat(LO, LO_V, op.i32x4Splat),
    ...splat(HI_MINUS_1, HI_V, op.i32x4Splat),
    ...splat(OVERFLOW, OVERFLOW_V, op.i32x4Splat),
    ...splat(PAYLOAD, PAYLOAD_V, op.i32x4Splat),
    ...splat(MAGIC, MAGIC_V, op.f32x4Splat),
    ...constSplat(0x7fffffff, ABS_V),
    ...constSplat(0x7f800000, INF_V),
    ...constSplat(0x7fc00000, QNAN_V),
    ...constSplat(1, ONE_V),
    // end = src + (n >> 2) * 16: the vector loop
    ...get(SRC), ...get(N), ...i32Const(2), 0x76 /* shr_u */, ...i32Const(4), 0x74 /* shl */,
    0x6a /* add */, ...set(END),
    ...loop([...op.v128Load, ...memarg], [...op.v128Store, ...memarg], 16),
    // end = src + (n & 3) * 4: the remaining lanes one by one
    ...get(SRC), ...get(N), ...i32Const(3), 0x71 /* and */, ...i32Const(2), 0x74 /* shl */,
    0x6a /* add */, ...set(END),
    ...loop([...op.load32Zero, ...memarg], [...op.store32Lane, ...memarg, 0], 4),
    0x0b, // end function
  ];
  const locals = [2, 1, I32, 14, V128]; // 2 groups: one i32 (END), fourteen v128
  const fn = [...locals, ...instructions];
  return [...uleb(fn.length), ...fn];
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function name(text: string): number[] {
  const bytes = Array.from(text, (c) => c.charCodeAt(0));
  return [...uleb(bytes.length), ...bytes];
}

/** The module's bytes: imports `env.memory`, exports `round`. */
export function simdModuleBytes(): Uint8Array<ArrayBuffer> {
  const params = [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, F32];
  // biome-ignore format: assembly
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // \0asm, version 1
    ...section(1, [1, 0x60, params.length, ...params, 0]), // type 0: (i32 ×10, f32) → ()
    ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 0x00]), // memory, min 0
    ...section(3, [1, 0]), // function 0 has type 0
    ...section(7, [1, ...name('round'), 0x00, 0]), // export function 0 as "round"
    ...section(10, [1, ...code()]),
  ];
  return new Uint8Array(bytes);
}

let compiled: WebAssembly.Module | null | undefined;

/** The compiled module, or null where WebAssembly SIMD is unsupported (checked once). */
function simdModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    const bytes = simdModuleBytes();
    compiled =
      typeof WebAssembly === 'object' && WebAssembly.validate(bytes)
        ? new WebAssembly.Module(bytes)
        : null;
  }
  return compiled;
}

/** Whether this JavaScript engine runs WebAssembly SIMD (so {@link simdRounderFor} can work). */
export function isSimdSupported(): boolean {
  return simdModule() != null;
}

const rounders = new WeakMap<WebAssembly.Memory, SimdRound>();

/**
 * A SIMD rounder working on `memory` (byte offsets, float32 elements), or null where SIMD is
 * unsupported. Instantiated once per memory; the instance stays valid when the memory grows.
 */
export function simdRounderFor(memory: WebAssembly.Memory): SimdRound | null {
  let rounder = rounders.get(memory);
  if (rounder != null) return rounder;
  const module = simdModule();
  if (module == null) return null;
  const instance = new WebAssembly.Instance(module, {env: {memory}});
  const round = instance.exports.round as (...args: number[]) => void;
  rounder = (srcOffset, dstOffset, length, plan) => {
    round(
      srcOffset,
      dstOffset,
      length,
      plan.half,
      plan.keep,
      plan.drop,
      plan.lo,
      plan.hi - 1,
      plan.overflow,
      plan.payloadMask,
      plan.magic,
    );
  };
  rounders.set(memory, rounder);
  return rounder;
}
