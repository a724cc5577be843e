// Helpers for the tfjs-node (backend `tensorflow`) suites: an op spy on the native binding,
// deterministic inputs, float64 oracles for matmul and the convolution family, and a tolerance
// that comes from the accumulation order only.
import * as tf from '@tensorflow/tfjs';
import {NativeOpSpy} from '@tfjs-amp/test-utils';
import {afterAll, beforeAll, expect} from 'vitest';
import type {FormatName} from '../../src/formats/format-spec.js';
import {getFormat} from '../../src/formats/index.js';
import {type NativeDispatch, setNativeDispatch} from '../../src/index.js';
import {nativeAccumulation} from '../../src/native/accumulation-probe.js';
import {TF_DTYPES, asNodeBackend} from '../../src/native/binding.js';
import {matMulSumsInFloat32} from '../../src/native/half-product.js';
import type {NativeOpName} from '../../src/native/probe.js';
import {roundArray} from '../../src/rounding/round-array.js';

type Backend = {getInputTensorIds(t: tf.Tensor[]): number[]};

/** One native op run: TF op name and the value of its `T` attribute (a TF_DataType), if any. */
export interface OpCall {
  readonly op: string;
  readonly dtype: number | undefined;
}

/**
 * Records every op tfjs-node runs (test-utils' NativeOpSpy), seen as op name and `T` attribute,
 * with the 16-bit views these suites ask about. `restore()` puts the addon back.
 */
export class OpSpy extends NativeOpSpy {
  /** Every op, in order: name and `T` attribute. */
  get calls(): OpCall[] {
    return this.records.map(({op, dtype}) => ({op, dtype}));
  }

  /**
   * Arithmetic ops that ran with `T` = the format's TF dtype, in order (not Casts, nor the
   * Reshapes of 16-bit handles that keep native outputs in 16 bits).
   */
  nativeOps(format: FormatName): string[] {
    const dtype = TF_DTYPES[format];
    return this.records
      .filter((c) => c.op !== 'Cast' && c.op !== 'Reshape' && c.dtype === dtype)
      .map((c) => c.op);
  }

  /** Every non-Cast op whose `T` was a 16-bit float (float16 or bfloat16). */
  halfOps(): string[] {
    return [...this.nativeOps('float16'), ...this.nativeOps('bfloat16')];
  }
}

/** Runs the enclosing suite under the dispatch `mode`, putting the previous mode back after. */
export function useNativeDispatch(mode: NativeDispatch): void {
  let previous: NativeDispatch;
  beforeAll(() => {
    previous = setNativeDispatch(mode);
  });
  afterAll(() => {
    setNativeDispatch(previous);
  });
}

/** How many TensorFlow handles tfjs-node holds now (its tensors' and the cast cache's). */
export function nativeHandles(): number {
  return (tf.backend() as unknown as {getNumOfTFTensors(): number}).getNumOfTFTensors();
}

/**
 * Gives tensors their native handles now (tfjs-node creates them lazily on first use), so that
 * a leak check around later work sees only that work's handles.
 */
export function materialize(...tensors: tf.Tensor[]): void {
  (tf.backend() as unknown as Backend).getInputTensorIds(tensors);
}

/** Deterministic values in [-1, 1) (a 32-bit LCG), rounded to `format`. */
export function values(n: number, seed: number, format: FormatName): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return roundArray(out, format);
}

/** Exact sums (float64; exact for these sizes up to the last bits) and sums of |terms|. */
export interface Oracle {
  readonly sum: Float64Array;
  readonly absSum: Float64Array;
  /** Terms per output element (the accumulation length). */
  readonly terms: number;
}

/** C = op(A)·op(B) for row-major A [m×k] or [k×m] (transposeA), B [k×n] or [n×k]. */
export function matMulOracle(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  transposeA = false,
  transposeB = false,
): Oracle {
  const sum = new Float64Array(m * n);
  const absSum = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let abs = 0;
      for (let p = 0; p < k; p++) {
        const t = a[transposeA ? p * m + i : i * k + p]! * b[transposeB ? j * k + p : p * n + j]!;
        s += t;
        abs += Math.abs(t);
      }
      sum[i * n + j] = s;
      absSum[i * n + j] = abs;
    }
  }
  return {sum, absSum, terms: k};
}

/** Shapes and padding of one NHWC convolution, from tfjs's own shape rules. */
export interface ConvProblem {
  readonly x: [number, number, number, number];
  /** [kh, kw, inC, outC] (conv) or [kh, kw, inC, multiplier] (depthwise). */
  readonly filter: [number, number, number, number];
  readonly strides: number;
  readonly pad: 'same' | 'valid' | tf.backend_util.ExplicitPadding;
  readonly dilations?: number;
  readonly depthwise: boolean;
}

/** The output shape of a convolution problem (NHWC). */
export function convOutShape(p: ConvProblem): number[] {
  const info = tf.backend_util.computeConv2DInfo(
    p.x,
    p.filter,
    p.strides,
    p.dilations ?? 1,
    p.pad,
    undefined,
    p.depthwise,
  );
  return info.outShape;
}

/** The three results of one convolution problem: forward, input gradient, filter gradient. */
export interface ConvOracles {
  readonly y: Oracle;
  readonly dx: Oracle;
  readonly dFilter: Oracle;
  readonly yShape: number[];
}

/**
 * Every (output, filter tap) pair of the convolution, in float64: y = conv(x, f), and for the
 * given dy, dx = conv_backprop_input(dy, f) and dFilter = conv_backprop_filter(x, dy). One loop
 * serves all three, so they agree on indexing by construction.
 */
export function convOracles(
  p: ConvProblem,
  x: Float32Array,
  f: Float32Array,
  dy: Float32Array,
): ConvOracles {
  const info = tf.backend_util.computeConv2DInfo(
    p.x,
    p.filter,
    p.strides,
    p.dilations ?? 1,
    p.pad,
    undefined,
    p.depthwise,
  );
  const [batch, inH, inW, inC] = p.x;
  const [kh, kw, , fourth] = p.filter;
  const outC = p.depthwise ? inC * fourth : fourth;
  const [, outH, outW] = info.outShape;
  const d = p.dilations ?? 1;
  const y = new Float64Array(batch * outH! * outW! * outC);
  const yAbs = new Float64Array(y.length);
  const dx = new Float64Array(x.length);
  const dxAbs = new Float64Array(x.length);
  const df = new Float64Array(f.length);
  const dfAbs = new Float64Array(f.length);
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < outH!; oh++) {
      for (let ow = 0; ow < outW!; ow++) {
        for (let i = 0; i < kh; i++) {
          const ih = oh * p.strides + i * d - info.padInfo.top;
          if (ih < 0 || ih >= inH) continue;
          for (let j = 0; j < kw; j++) {
            const iw = ow * p.strides + j * d - info.padInfo.left;
            if (iw < 0 || iw >= inW) continue;
            for (let c = 0; c < inC; c++) {
              const xi = ((b * inH + ih) * inW + iw) * inC + c;
              const outs = p.depthwise ? fourth : outC;
              for (let o = 0; o < outs; o++) {
                const oc = p.depthwise ? c * fourth + o : o;
                const fi = ((i * kw + j) * inC + c) * fourth + o;
                const yi = ((b * outH! + oh) * outW! + ow) * outC + oc;
                const yt = x[xi]! * f[fi]!;
                y[yi]! += yt;
                yAbs[yi]! += Math.abs(yt);
                const dxt = dy[yi]! * f[fi]!;
                dx[xi]! += dxt;
                dxAbs[xi]! += Math.abs(dxt);
                const dft = x[xi]! * dy[yi]!;
                df[fi]! += dft;
                dfAbs[fi]! += Math.abs(dft);
              }
            }
          }
        }
      }
    }
  }
  const windowTerms = kh * kw * (p.depthwise ? 1 : inC);
  return {
    y: {sum: y, absSum: yAbs, terms: windowTerms},
    dx: {sum: dx, absSum: dxAbs, terms: kh * kw * (p.depthwise ? fourth : outC)},
    dFilter: {sum: df, absSum: dfAbs, terms: batch * outH! * outW!},
    yShape: [batch, outH!, outW!, outC],
  };
}

/** One unit in the last place of `format` at |v| (subnormal spacing below the normal range). */
export function ulp(format: FormatName, v: number): number {
  const spec = getFormat(format);
  const e = Math.max(Math.floor(Math.log2(Math.abs(v))), Math.log2(spec.minNormal));
  return 2 ** (e - spec.mantissaBits);
}

/**
 * `v` rounded to float32, then toward zero to `format` (what TF's CPU bfloat16 kernels do with
 * their float32 sum).
 */
export function truncate(format: FormatName, v: number): number {
  const f = Math.fround(v);
  const r = roundArray(new Float32Array([f]), format)[0]!;
  if (Math.abs(r) <= Math.abs(f)) return r;
  // One step toward zero from r: the spacing below |r| halves when |r| is a normal power of two.
  const spec = getFormat(format);
  const e = Math.floor(Math.log2(Math.abs(r)));
  const below =
    Math.abs(r) === 2 ** e && 2 ** e > spec.minNormal ? ulp(format, r) / 2 : ulp(format, r);
  return r - Math.sign(r) * below;
}

/**
 * How a TF kernel sums: `wide` (in float32, rounded to the format once at the end) or `format`
 * (in the format itself, every partial sum rounded).
 */
export type Accumulation = 'wide' | 'format';

/**
 * How the native TF `op` sums in `format` on this CPU, as the dispatch's exact probe found it
 * (`nativeAccumulation`). It differs between CPUs: TF 2.21's Eigen float16 convolution gradients
 * and depthwise kernels sum in float16 on CPUs without AVX512-FP16, oneDNN's bfloat16 kernels on
 * CPUs with avx512_bf16/AMX sum in float32. The oracle checks then hold the kernel to the bound of
 * the accumulation it has, and a probe that misjudged it fails them.
 */
export function accumulation(op: NativeOpName, format: FormatName): Accumulation {
  const node = asNodeBackend(tf.backend());
  if (node == null) throw new Error('accumulation: the tensorflow backend is not active');
  return nativeAccumulation(node, op, format) === 'float32' ? 'wide' : 'format';
}

/**
 * The TF op a native product of two matrices (or batches of one) runs in `format` on this device:
 * `MatMul` where it sums in float32 (`runHalfProduct`), else `BatchMatMulV2`.
 */
export function productOp(format: FormatName): 'MatMul' | 'BatchMatMulV2' {
  const node = asNodeBackend(tf.backend());
  if (node == null) throw new Error('productOp: the tensorflow backend is not active');
  return matMulSumsInFloat32(node, format) ? 'MatMul' : 'BatchMatMulV2';
}

/**
 * Checks a native result against its float64 oracle, within a tolerance that comes from how the
 * kernel accumulates only:
 * - `wide`: the float32 sum may differ from the exact one by Higham's bound
 *   `n · 2^-24 · Σ|terms|`, and rounding that to the format may then land one unit of the format
 *   away. At least 99% of the elements must equal an allowed rounding of the exact sum, which
 *   only a kernel that accumulates wider than the format achieves.
 * - `format`: every partial sum is rounded to the format: bound `n · u · Σ|terms|` with the
 *   format's unit roundoff u (2^-11 float16, 2^-8 bfloat16), plus one unit of the format.
 * Rounding of the result: `nearest` (round to nearest even) or `nearest-or-zero` (either: TF's
 * CPU bfloat16 kernels truncate; oneDNN on CPUs with avx512_bf16/AMX rounds to nearest even).
 */
export function expectMatchesOracle(
  got: Float32Array,
  oracle: Oracle,
  format: FormatName,
  mode: 'nearest' | 'nearest-or-zero',
  what: string,
  accumulate: Accumulation = 'wide',
): void {
  expect(got.length, `${what}: length`).toBe(oracle.sum.length);
  const unitRoundoff =
    accumulate === 'wide' ? 2 ** -24 : 2 ** -(getFormat(format).mantissaBits + 1);
  let exact = 0;
  const bad: string[] = [];
  for (let i = 0; i < got.length; i++) {
    const s = oracle.sum[i]!;
    const nearest = roundArray(new Float32Array([s]), format)[0]!;
    const candidates = mode === 'nearest' ? [nearest] : [nearest, truncate(format, s)];
    const g = got[i]!;
    if (candidates.includes(g)) {
      exact++;
      continue;
    }
    const bound =
      ulp(format, Math.max(Math.abs(g), Math.abs(nearest))) +
      oracle.terms * unitRoundoff * oracle.absSum[i]!;
    const err = Math.min(...candidates.map((c) => Math.abs(g - c)));
    if (!(err <= bound) && bad.length < 5) {
      bad.push(`[${i}] got ${g}, want ${candidates.join(' or ')} ±${bound}`);
    }
  }
  expect(bad, `${what}: elements outside the accumulation bound`).toEqual([]);
  if (accumulate === 'wide') {
    expect(exact / got.length, `${what}: share of exactly rounded elements`).toBeGreaterThanOrEqual(
      0.99,
    );
  }
}

/** The expected rounding mode of a native kernel in `format` (see {@link expectMatchesOracle}). */
export function roundingMode(format: FormatName): 'nearest' | 'nearest-or-zero' {
  return format === 'bfloat16' ? 'nearest-or-zero' : 'nearest';
}
