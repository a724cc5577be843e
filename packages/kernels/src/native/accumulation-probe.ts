import type {FormatName} from '../formats/format-spec.js';
import {getFormat} from '../formats/index.js';
import {HandleScope, type NodeBackend, TF_DTYPES, type TfOpAttr, typeAttr} from './binding.js';
import {type NativeOpName, probeOnce} from './probe.js';

/**
 * Whether a native 16-bit kernel keeps the promise of mixed precision, as Keras and PyTorch make
 * it: inputs and output in the format, products summed in float32, the sum rounded to the format
 * once. Some TF CPU kernels break it: Eigen's float16 convolution gradients add every partial sum
 * in float16, and oneDNN's float16 paths on CPUs with AVX512-FP16 may round partial sums too.
 *
 * The probe is exact, not statistical. Every checked output of the probe problem is the sum of
 * K = 4098 products `v[k] · 1` with v = [2^12, s, s, ..., s, -2^13] and s = 1 + 2^-m (m = the
 * format's mantissa bits), all exactly representable in the format. The exact sum is
 * `4096 · 2^-m` (4 in float16, 32 in bfloat16), representable too. Summed in float32, in any
 * order or blocking, every partial sum is exact (below 2^14 in magnitude, on a grid of 2^-m: at
 * most 24 bits), so a kernel that sums in float32 returns exactly that. Summed in the format, or
 * with partial sums rounded to it between blocks (an Eigen contraction with 16-bit output does),
 * `2^12 + s` does not fit (its spacing there is 4 in float16, 32 in bfloat16): the small terms get
 * lost, wholly or block by block, and the result is off by whole units. K is larger than any
 * blocking of the reduction axis, so a kernel that rounds only between blocks is caught too.
 */
export type Accumulation = 'float32' | 'format';

/** The reduction length of the probes over channels and positions, and its large term. */
const K = 4098;
const BIG = 2 ** 12;
/** The reduction over positions as [height, width]: 6 · 683 = K. */
const HW = [6, 683];
/**
 * The depthwise forward and input-gradient ops reduce over filter taps only: a 6x11 filter, so
 * KT = 66 terms with 2^11 as the large one (2^11 + 64 is representable in both formats).
 */
const KT = 66;
const BIG_T = 2 ** 11;
const TAPS = [6, 11];
const ONE = [1, 1, 1, 1];

/** One probe problem: input tensors (the probe vector at the reduction axis) and what to check. */
interface AccumulationProblem {
  /** Each input: float values with a shape, or an int32 shape vector. */
  readonly inputs: ReadonlyArray<
    {shape: number[]; values: (v: Float32Array) => Float32Array} | {int32: number[]}
  >;
  readonly attrs: (node: NodeBackend) => TfOpAttr[];
  /** Whether the op reduces over filter taps only (the KT-term vector), else the K-term one. */
  readonly taps?: boolean;
  /** Indices of the output that hold a full K-term sum (all of them when absent). */
  readonly checked?: (outputLength: number) => number[];
}

/** Fills a tensor of `shape` (row-major) with `value(index per axis)`. */
function fill(shape: number[], value: (idx: number[]) => number): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < size; i++) {
    out[i] = value(idx);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

const convAttrs = (node: NodeBackend, padding = 'VALID'): TfOpAttr[] => [
  {name: 'strides', type: node.binding.TF_ATTR_INT, value: ONE},
  {name: 'padding', type: node.binding.TF_ATTR_STRING, value: padding},
];

/** The probe of each op: the reduction axis carries v, everything else is 0 or 1. */
const PROBLEMS: Readonly<Record<NativeOpName, AccumulationProblem>> = {
  // [16, K] · [K, 16]: a[m, k] = v[k], b = 1.
  BatchMatMulV2: {
    inputs: [
      {shape: [1, 16, K], values: (v) => fill([1, 16, K], ([, , k]) => v[k!]!)},
      {shape: [1, K, 16], values: () => fill([1, K, 16], () => 1)},
    ],
    attrs: () => [],
  },
  // The same product as two matrices.
  MatMul: {
    inputs: [
      {shape: [16, K], values: (v) => fill([16, K], ([, k]) => v[k!]!)},
      {shape: [K, 16], values: () => fill([K, 16], () => 1)},
    ],
    attrs: () => [],
  },
  // x[.., c] = v[c] (C = K), a 3x3 filter whose centre tap is 1: every output sums v.
  Conv2D: {
    inputs: [
      {shape: [1, 4, 4, K], values: (v) => fill([1, 4, 4, K], ([, , , c]) => v[c!]!)},
      {
        shape: [3, 3, K, 4],
        values: () => fill([3, 3, K, 4], ([h, w]) => (h === 1 && w === 1 ? 1 : 0)),
      },
    ],
    attrs: (node) => convAttrs(node),
  },
  // dx[h, w, c] = Σ_f dy[h-1, w-1, f] · 1 at the positions a centre tap reaches.
  Conv2DBackpropInput: {
    inputs: [
      {int32: [1, 4, 4, 4]},
      {
        shape: [3, 3, 4, K],
        values: () => fill([3, 3, 4, K], ([h, w]) => (h === 1 && w === 1 ? 1 : 0)),
      },
      {shape: [1, 2, 2, K], values: (v) => fill([1, 2, 2, K], ([, , , f]) => v[f!]!)},
    ],
    attrs: (node) => convAttrs(node),
    checked: () => indicesWhere([1, 4, 4, 4], ([, h, w]) => inside(h!, w!, 1, 2)),
  },
  // dW[0, 0, c, f] = Σ_{h,w} x · dy with x = 1 and dy[h, w] = v[2049h + w].
  Conv2DBackpropFilter: {
    inputs: [
      {shape: [1, ...HW, 2], values: () => fill([1, ...HW, 2], () => 1)},
      {int32: [1, 1, 2, 2]},
      {shape: [1, ...HW, 2], values: (v) => fill([1, ...HW, 2], spatialV(v))},
    ],
    attrs: (node) => convAttrs(node),
  },
  // A 6x11 depthwise filter over a 6x11 input: out[c] = Σ_{h,w} v[11h + w] · 1.
  DepthwiseConv2dNative: {
    taps: true,
    inputs: [
      {
        shape: [1, ...TAPS, 2],
        values: (v) => fill([1, ...TAPS, 2], ([, h, w]) => v[11 * h! + w!]!),
      },
      {shape: [...TAPS, 2, 1], values: () => fill([...TAPS, 2, 1], () => 1)},
    ],
    attrs: (node) => convAttrs(node),
  },
  // dx[5, 10, c] = Σ_{kh,kw} dy[5-kh, 10-kw] · f[kh, kw] = Σ v (dy = 1): every tap reaches it.
  DepthwiseConv2dNativeBackpropInput: {
    taps: true,
    inputs: [
      {int32: [1, 11, 21, 2]},
      {shape: [...TAPS, 2, 1], values: (v) => fill([...TAPS, 2, 1], ([h, w]) => v[11 * h! + w!]!)},
      {shape: [1, ...TAPS, 2], values: () => fill([1, ...TAPS, 2], () => 1)},
    ],
    attrs: (node) => convAttrs(node),
    checked: () => indicesWhere([1, 11, 21, 2], ([, h, w]) => h === 5 && w === 10),
  },
  // dW[0, 0, c] = Σ_{h,w} x · dy with x = 1 and dy[h, w] = v[2049h + w].
  DepthwiseConv2dNativeBackpropFilter: {
    inputs: [
      {shape: [1, ...HW, 2], values: () => fill([1, ...HW, 2], () => 1)},
      {int32: [1, 1, 2, 1]},
      {shape: [1, ...HW, 2], values: (v) => fill([1, ...HW, 2], spatialV(v))},
    ],
    attrs: (node) => convAttrs(node),
  },
};

/** v laid over the spatial axes of an NHWC tensor of spatial size {@link HW}. */
const spatialV =
  (v: Float32Array) =>
  ([, h, w]: number[]): number =>
    v[HW[1]! * h! + w!]!;

const inside = (h: number, w: number, lo: number, hi: number): boolean =>
  h >= lo && h <= hi && w >= lo && w <= hi;

function indicesWhere(shape: number[], pick: (idx: number[]) => boolean): number[] {
  const flags = fill(shape, (idx) => (pick(idx) ? 1 : 0));
  const out: number[] = [];
  for (let i = 0; i < flags.length; i++) if (flags[i] === 1) out.push(i);
  return out;
}

/**
 * The probe vector for `format`: [big, s, ..., s, -(big + length - 2)] with
 * s = 1 + 2^-mantissaBits; by default the K = 4098 one, `taps` the KT = 66 one.
 */
export function probeVector(format: FormatName, taps = false): Float32Array {
  const [length, big] = taps ? [KT, BIG_T] : [K, BIG];
  const v = new Float32Array(length).fill(1 + 2 ** -getFormat(format).mantissaBits);
  v[0] = big;
  v[length - 1] = -(big + length - 2);
  return v;
}

/**
 * The one result a kernel that sums a probe vector in float32 gives: the exact sum
 * `(length - 2) · 2^-m`, which the format represents, so rounding to nearest and truncation agree.
 */
export function float32AccumulationResult(format: FormatName, taps = false): number {
  return ((taps ? KT : K) - 2) * 2 ** -getFormat(format).mantissaBits;
}

/**
 * How `values` (a probe's checked outputs) were summed: `float32` when every one is an allowed
 * float32-accumulation result, else `format`. Pure, for tests.
 */
export function classifyAccumulation(
  values: ArrayLike<number>,
  format: FormatName,
  taps = false,
): Accumulation {
  const exact = float32AccumulationResult(format, taps);
  for (let i = 0; i < values.length; i++) {
    if (values[i] !== exact) return 'format';
  }
  return 'float32';
}

/**
 * How TF's `op` sums in `format` on this backend's device (probed once per backend; see
 * {@link Accumulation}). Only call it for ops the device has (`isNativeOpSupported`).
 */
export function nativeAccumulation(
  node: NodeBackend,
  op: NativeOpName,
  format: FormatName,
): Accumulation {
  const wide = probeOnce(node, `accumulation/${op}/${format}`, () =>
    runAccumulationProbe(node, op, format),
  );
  return wide ? 'float32' : 'format';
}

/** Runs `op`'s probe natively; true when it summed in float32. */
function runAccumulationProbe(node: NodeBackend, op: NativeOpName, format: FormatName): boolean {
  const dtype = TF_DTYPES[format]!;
  const binding = node.binding;
  const problem = PROBLEMS[op];
  const v = probeVector(format, problem.taps === true);
  const scope = new HandleScope(binding);
  try {
    const ids = problem.inputs.map((input) => {
      if ('int32' in input) return scope.int32(input.int32);
      const f32 = scope.float32(input.shape, input.values(v));
      return scope.cast(f32, binding.TF_FLOAT, dtype).id;
    });
    const out = scope.run(op, [typeAttr(binding, 'T', dtype), ...problem.attrs(node)], ids);
    const wide = scope.cast(out.id, dtype, binding.TF_FLOAT);
    const all = binding.tensorDataSync(wide.id) as Float32Array;
    const checked = problem.checked?.(all.length);
    const values = checked == null ? all : checked.map((i) => all[i]!);
    return classifyAccumulation(values, format, problem.taps === true) === 'float32';
  } catch {
    // An op that fails on the probe is not trusted with training either.
    return false;
  } finally {
    scope.dispose();
  }
}
