#!/usr/bin/env node
// @ts-check
// Proves that the tfjs-node native binding can run float16 / bfloat16 compute
// even though tfjs-node's JS layer only knows float32/int32/bool/complex64/string:
// the C++ `executeOp` passes TF_HALF (19) / TF_BFLOAT16 (14) tensor handles
// through untouched, so a chain Cast(f32 -> half) -> MatMul(T=half) -> Cast(-> f32)
// can be run entirely on native handles, and only the final float32 handle is
// wrapped into a tfjs tensor.
//
// What it does (exit code 1 if a check fails):
//   1. half + bfloat16 round trip through MatMul on small matrices, compared
//      bit-exactly against a reference computed in JS (inputs rounded to the
//      16-bit format, product accumulated, output rounded to the 16-bit format),
//      and the native tensor count (binding.getNumOfTensors) back to its start value;
//   2. a survey of which ops accept T=half / T=bfloat16 on this TF build's CPU,
//      both by executing them through the binding and by reading the kernel
//      registry (TF_GetAllRegisteredKernels, via a tiny C helper compiled
//      against deps/include; skipped if no C compiler);
//   3. a MatMul NxN float32 vs half vs bfloat16 timing (median of --reps).
//
// Usage: node tools/provision-tfjs-node/verify-half.mjs [--size 2048] [--reps 5]
//          [--no-bench] [--no-registry] [--json out.json]
// Requires the binding to be provisioned (node tools/provision-tfjs-node/provision.mjs).

import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import {createRequire} from 'node:module';
import os from 'node:os';
import path from 'node:path';
import {performance} from 'node:perf_hooks';
import {fileURLToPath} from 'node:url';

// ---------------------------------------------------------------------------
// args
// ---------------------------------------------------------------------------
const argv = process.argv.slice(2);
/** @type {{size: number, reps: number, bench: boolean, registry: boolean, json: string | null}} */
const opt = {size: 2048, reps: 5, bench: true, registry: true, json: null};
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--size') opt.size = Number(argv[++i]);
  else if (a === '--reps') opt.reps = Number(argv[++i]);
  else if (a === '--no-bench') opt.bench = false;
  else if (a === '--no-registry') opt.registry = false;
  else if (a === '--json') opt.json = argv[++i];
  else {
    console.error(`verify-half: unknown argument ${a}`);
    process.exit(2);
  }
}
if (!(opt.size > 0) || !(opt.reps > 0)) {
  console.error('verify-half: --size and --reps must be positive numbers');
  process.exit(2);
}

// Quieten TF's INFO banner unless the caller chose a level.
process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';

// ---------------------------------------------------------------------------
// load tfjs-node from the workspace root
// ---------------------------------------------------------------------------
const SCRIPT_DIR = path.dirname(fileURLToPath(import.meta.url));
function findRepoRoot() {
  let dir = SCRIPT_DIR;
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj) && JSON.parse(fs.readFileSync(pj, 'utf8')).workspaces) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return SCRIPT_DIR;
    dir = parent;
  }
}
const repoRoot = findRepoRoot();
const req = createRequire(path.join(repoRoot, 'package.json'));
let tf;
try {
  tf = req('@tensorflow/tfjs-node');
} catch (e) {
  console.error(
    `verify-half: cannot load @tensorflow/tfjs-node: ${e.message.split('\n')[0]}\n` +
      'Run `node tools/provision-tfjs-node/provision.mjs` first.',
  );
  process.exit(1);
}
const tfjsNodeDir = path.dirname(req.resolve('@tensorflow/tfjs-node/package.json'));

/** @type {any} NodeJSKernelBackend */
const backend = tf.backend();
const binding = backend.binding;

// TF_DataType enum values (tensorflow/c/tf_datatype.h). The binding only exports
// the ones tfjs uses (TF_FLOAT=1, TF_INT32=3, ...), so half/bfloat16 are literals.
const DT = Object.freeze({
  FLOAT: binding.TF_FLOAT,
  INT32: binding.TF_INT32,
  BFLOAT16: 14,
  HALF: 19,
});
const DT_NAME = {
  1: 'float32',
  2: 'float64',
  3: 'int32',
  4: 'uint8',
  5: 'int16',
  6: 'int8',
  8: 'complex64',
  9: 'int64',
  11: 'qint8',
  14: 'bfloat16',
  17: 'uint16',
  18: 'complex128',
  19: 'float16',
};

// TFEOpAttr builders: {name, type: binding.TF_ATTR_*, value}.
const typeAttr = (name, dtype) => ({name, type: binding.TF_ATTR_TYPE, value: dtype});
const boolAttr = (name, value) => ({name, type: binding.TF_ATTR_BOOL, value});
const intAttr = (name, value) => ({name, type: binding.TF_ATTR_INT, value}); // number or number[]
const strAttr = (name, value) => ({name, type: binding.TF_ATTR_STRING, value});

/** Runs one op on native tensor ids; returns TensorMetadata[] ({id, shape, dtype}). */
const exec = (op, attrs, ids, numOutputs = 1) => binding.executeOp(op, attrs, ids, numOutputs);
/** Cast(SrcT -> DstT) on a native id; returns the new native id. */
const cast = (id, src, dst) =>
  exec('Cast', [typeAttr('SrcT', src), typeAttr('DstT', dst), boolAttr('Truncate', false)], [id])[0]
    .id;
/** Native float32 tensor from a Float32Array (owned by the caller: binding.deleteTensor). */
const f32 = (shape, data) => binding.createTensor(shape, DT.FLOAT, data);
const i32 = (shape, data) => binding.createTensor(shape, DT.INT32, Int32Array.from(data));
/** Reads any float handle back as Float32Array by casting to float32 first. */
function readAsF32(id, dtype) {
  if (dtype === DT.FLOAT) return binding.tensorDataSync(id);
  const f = cast(id, dtype, DT.FLOAT);
  try {
    return binding.tensorDataSync(f);
  } finally {
    binding.deleteTensor(f);
  }
}

// ---------------------------------------------------------------------------
// 16-bit float rounding in JS (round-to-nearest-even), exact on doubles.
// ---------------------------------------------------------------------------
const FORMATS = {
  [DT.HALF]: {mant: 10, minExp: -14, max: 65504},
  [DT.BFLOAT16]: {mant: 7, minExp: -126, max: 3.3895313892515355e38},
};
function roundTo(dtype, x, mode = 'rne') {
  const {mant, minExp, max} = FORMATS[dtype];
  if (!Number.isFinite(x) || x === 0) return x;
  const a = Math.abs(x);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  const q = 2 ** (Math.max(e, minExp) - mant); // spacing of representable values
  const n = a / q; // exact (power-of-two division)
  let r = Math.floor(n);
  const d = n - r;
  // 'rne' = round to nearest, ties to even; 'rtz' = truncate (round toward zero)
  if (mode === 'rne' && (d > 0.5 || (d === 0.5 && r % 2 === 1))) r++;
  const v = r * q;
  if (v > max) return mode === 'rne' ? Math.sign(x) * Infinity : Math.sign(x) * max;
  return Math.sign(x) * v;
}

// Deterministic PRNG (mulberry32) so runs are reproducible.
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const randArray = (n, seed, lo = -2, hi = 2) => {
  const r = rng(seed);
  return Float32Array.from({length: n}, () => lo + (hi - lo) * r());
};

// ---------------------------------------------------------------------------
// 1. round trip: Cast(f32->T) -> MatMul(T) -> Cast(T->f32), native handles only
// ---------------------------------------------------------------------------
const failures = [];
/** @type {{tfVersion: string, tfjsNodeDir: string, roundTrip: Record<string, unknown>, kernels: Record<string, unknown>, registry: any, bench: ReturnType<typeof bench> | null, nativeTensors?: {start: number, end: number}, failures?: string[]}} */
const report = {
  tfVersion: binding.TF_Version,
  tfjsNodeDir,
  roundTrip: {},
  kernels: {},
  registry: null,
  bench: null,
};

function roundTrip(dtype, op = 'MatMul') {
  const M = 4;
  const K = 8;
  const N = 3;
  const aData = randArray(M * K, 1);
  const bData = randArray(K * N, 2);

  const nativeStart = backend.getNumOfTFTensors();
  const jsStart = tf.memory().numTensors;

  // Inputs as ordinary tfjs float32 tensors; getInputTensorIds materialises their
  // TFE handles (owned by the tfjs tensors: disposed with them, never deleteTensor'd by us).
  // MatMul takes [M,K]x[K,N]; BatchMatMulV2 the same with a batch dimension of 1.
  const batched = op === 'BatchMatMulV2';
  const a = batched ? tf.tensor3d(aData, [1, M, K]) : tf.tensor2d(aData, [M, K]);
  const b = batched ? tf.tensor3d(bData, [1, K, N]) : tf.tensor2d(bData, [K, N]);
  const [aId, bId] = backend.getInputTensorIds([a, b]);

  const a16 = cast(aId, DT.FLOAT, dtype);
  const b16 = cast(bId, DT.FLOAT, dtype);
  const attrs = batched
    ? [typeAttr('T', dtype), boolAttr('adj_x', false), boolAttr('adj_y', false)]
    : [typeAttr('T', dtype), boolAttr('transpose_a', false), boolAttr('transpose_b', false)];
  const [c16] = exec(op, attrs, [a16, b16]);
  const cF32 = exec(
    'Cast',
    [typeAttr('SrcT', dtype), typeAttr('DstT', DT.FLOAT), boolAttr('Truncate', false)],
    [c16.id],
  )[0];
  // Intermediates are ours to free.
  const midCount = backend.getNumOfTFTensors();
  for (const id of [a16, b16, c16.id]) binding.deleteTensor(id);
  // Only the float32 result becomes a tfjs tensor (createOutputTensor throws on
  // dtype 19/14, after registering the id, so never hand it a 16-bit handle).
  const c = backend.createOutputTensor(cF32);
  const got = c.dataSync();

  // References: inputs rounded (RNE) to the 16-bit format, products summed in
  // exact arithmetic or float32 sequential accumulation, then the output
  // converted once to the 16-bit format by round-to-nearest-even (RNE) or by
  // truncation (RTZ); plus a reference rounding after every multiply-add.
  const ar = Array.from(aData, (v) => roundTo(dtype, v));
  const br = Array.from(bData, (v) => roundTo(dtype, v));
  /** @type {Record<'exactThenRNE' | 'f32AccThenRNE' | 'exactThenRTZ' | 'f32AccThenRTZ' | 'rneEveryStep', number[]>} */
  const refs = {
    exactThenRNE: [],
    f32AccThenRNE: [],
    exactThenRTZ: [],
    f32AccThenRTZ: [],
    rneEveryStep: [],
  };
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let exact = 0;
      let acc32 = 0;
      let accT = 0;
      for (let k = 0; k < K; k++) {
        const p = ar[i * K + k] * br[k * N + j];
        exact += p; // products of 11/8-bit significands are exact in double, sum of 8 is too
        acc32 = Math.fround(acc32 + Math.fround(p));
        accT = roundTo(dtype, accT + roundTo(dtype, p));
      }
      refs.exactThenRNE.push(roundTo(dtype, exact));
      refs.f32AccThenRNE.push(roundTo(dtype, acc32));
      refs.exactThenRTZ.push(roundTo(dtype, exact, 'rtz'));
      refs.f32AccThenRTZ.push(roundTo(dtype, acc32, 'rtz'));
      refs.rneEveryStep.push(accT);
    }
  }
  const matches = Object.fromEntries(
    Object.entries(refs).map(([k, r]) => [k, r.every((v, idx) => v === got[idx])]),
  );
  const maxAbsDiff = Math.max(...refs.exactThenRNE.map((v, idx) => Math.abs(v - got[idx])));
  const singleRounding = Object.keys(matches).filter((k) => matches[k] && !k.includes('EveryStep'));

  // Also: the Cast itself must equal JS rounding of the inputs (checks RNE).
  const a16b = cast(aId, DT.FLOAT, dtype);
  const castBack = readAsF32(a16b, dtype);
  binding.deleteTensor(a16b);
  const castMatches = ar.every((v, idx) => v === castBack[idx]);

  tf.dispose([a, b, c]);
  const nativeEnd = backend.getNumOfTFTensors();
  const jsEnd = tf.memory().numTensors;

  const res = {
    dtype: DT_NAME[dtype],
    op,
    shapes: batched ? `[1,${M},${K}] x [1,${K},${N}]` : `[${M},${K}] x [${K},${N}]`,
    outputDtypeEnum: c16.dtype,
    castMatchesJsRounding: castMatches,
    resultMatches: matches,
    matchingReferences: singleRounding,
    maxAbsDiffVsExactThenRNE: maxAbsDiff,
    got: Array.from(got),
    nativeTensors: {start: nativeStart, whileChainAlive: midCount, end: nativeEnd},
    jsTensors: {start: jsStart, end: jsEnd},
  };
  if (c16.dtype !== dtype)
    failures.push(`${op} ${res.dtype}: output dtype enum ${c16.dtype}, want ${dtype}`);
  if (!castMatches)
    failures.push(
      `${op} ${res.dtype}: Cast(float32->${res.dtype}) differs from JS round-to-nearest-even`,
    );
  // Pass if the result is the exact / float32-accumulated product converted once
  // to the 16-bit format (RNE, or RTZ which TF's CPU bfloat16 MatMul uses).
  if (!singleRounding.length) {
    failures.push(
      `${op} ${res.dtype}: result matches no ${res.dtype}-rounded reference (max abs diff vs RNE ${maxAbsDiff})`,
    );
  }
  if (nativeEnd !== nativeStart)
    failures.push(`${op} ${res.dtype}: native tensor count ${nativeStart} -> ${nativeEnd}`);
  if (jsEnd !== jsStart)
    failures.push(`${op} ${res.dtype}: tfjs tensor count ${jsStart} -> ${jsEnd}`);
  return res;
}

// ---------------------------------------------------------------------------
// 2. kernel survey through the binding
// ---------------------------------------------------------------------------
const conv = [intAttr('strides', [1, 1, 1, 1]), strAttr('padding', 'SAME')];
// Each case: inputs as [shape] (float, cast to T) or {i32: values}; attrs(T).
const OPS = [
  {
    op: 'MatMul',
    inputs: [
      [4, 5],
      [5, 3],
    ],
    attrs: (t) => [typeAttr('T', t)],
  },
  {
    op: 'BatchMatMulV2',
    inputs: [
      [2, 4, 5],
      [2, 5, 3],
    ],
    attrs: (t) => [typeAttr('T', t)],
  },
  {
    op: 'Conv2D',
    inputs: [
      [1, 5, 5, 2],
      [3, 3, 2, 4],
    ],
    attrs: (t) => [typeAttr('T', t), ...conv],
  },
  {
    op: 'Conv2DBackpropInput',
    inputs: [{i32: [1, 5, 5, 2]}, [3, 3, 2, 4], [1, 5, 5, 4]],
    attrs: (t) => [typeAttr('T', t), ...conv],
  },
  {
    op: 'Conv2DBackpropFilter',
    inputs: [[1, 5, 5, 2], {i32: [3, 3, 2, 4]}, [1, 5, 5, 4]],
    attrs: (t) => [typeAttr('T', t), ...conv],
  },
  {
    op: 'DepthwiseConv2dNative',
    inputs: [
      [1, 5, 5, 2],
      [3, 3, 2, 2],
    ],
    attrs: (t) => [typeAttr('T', t), ...conv],
  },
  {
    op: 'DepthwiseConv2dNativeBackpropInput',
    inputs: [{i32: [1, 5, 5, 2]}, [3, 3, 2, 2], [1, 5, 5, 4]],
    attrs: (t) => [typeAttr('T', t), ...conv],
  },
  {
    op: 'DepthwiseConv2dNativeBackpropFilter',
    inputs: [[1, 5, 5, 2], {i32: [3, 3, 2, 2]}, [1, 5, 5, 4]],
    attrs: (t) => [typeAttr('T', t), ...conv],
  },
  // _FusedMatMul needs fused_ops: list(string); the binding's TF_ATTR_STRING only
  // takes a single string, so this documents that it is not reachable this way.
  {
    op: '_FusedMatMul',
    inputs: [[4, 5], [5, 3], [3]],
    attrs: (t) => [typeAttr('T', t), intAttr('num_args', 1), strAttr('fused_ops', ['BiasAdd'])],
  },
  // A few element-wise / reduction ops a mixed-precision backend also needs.
  {
    op: 'AddV2',
    inputs: [
      [4, 5],
      [4, 5],
    ],
    attrs: (t) => [typeAttr('T', t)],
  },
  {
    op: 'Mul',
    inputs: [
      [4, 5],
      [4, 5],
    ],
    attrs: (t) => [typeAttr('T', t)],
  },
  {op: 'BiasAdd', inputs: [[4, 5], [5]], attrs: (t) => [typeAttr('T', t)]},
  {op: 'Relu', inputs: [[4, 5]], attrs: (t) => [typeAttr('T', t)]},
  {op: 'Softmax', inputs: [[4, 5]], attrs: (t) => [typeAttr('T', t)]},
  {
    op: 'Sum',
    inputs: [[4, 5], {i32: [1]}],
    attrs: (t) => [typeAttr('T', t), typeAttr('Tidx', DT.INT32)],
  },
];

function runOpCase(c, dtype, seed) {
  const ids = [];
  try {
    const inputIds = c.inputs.map((spec, k) => {
      if (!Array.isArray(spec)) {
        const id = i32([spec.i32.length], spec.i32);
        ids.push(id);
        return id;
      }
      const n = spec.reduce((x, y) => x * y, 1);
      const id = f32(spec, randArray(n, seed + k, -1, 1));
      ids.push(id);
      if (dtype === DT.FLOAT) return id;
      const t = cast(id, DT.FLOAT, dtype);
      ids.push(t);
      return t;
    });
    const outs = exec(c.op, c.attrs(dtype), inputIds, 1);
    for (const o of outs) ids.push(o.id);
    return {
      dtype: outs[0].dtype,
      shape: outs[0].shape,
      values: readAsF32(outs[0].id, outs[0].dtype),
    };
  } finally {
    for (const id of ids) binding.deleteTensor(id);
  }
}

function surveyKernels() {
  const nativeStart = backend.getNumOfTFTensors();
  for (const [ci, c] of OPS.entries()) {
    const row = {float32: ''};
    let ref = null;
    try {
      ref = runOpCase(c, DT.FLOAT, 100 + 10 * ci);
      row.float32 = 'ok';
    } catch (e) {
      row.float32 = `error: ${e.message.split('\n')[0]}`;
    }
    for (const dtype of [DT.HALF, DT.BFLOAT16]) {
      const name = DT_NAME[dtype];
      try {
        const r = runOpCase(c, dtype, 100 + 10 * ci);
        let rel = null;
        if (ref) {
          let num = 0;
          let den = 0;
          for (let k = 0; k < ref.values.length; k++) {
            num = Math.max(num, Math.abs(ref.values[k] - r.values[k]));
            den = Math.max(den, Math.abs(ref.values[k]));
          }
          rel = den ? num / den : num;
        }
        row[name] =
          r.dtype === dtype
            ? `ok (max err vs float32 ${rel?.toExponential(1)} of max|ref|)`
            : `ran, but output dtype ${r.dtype}`;
      } catch (e) {
        row[name] = `error: ${e.message.split('\n')[0].slice(0, 200)}`;
      }
    }
    report.kernels[c.op] = row;
  }
  const nativeEnd = backend.getNumOfTFTensors();
  if (nativeEnd !== nativeStart)
    failures.push(`kernel survey leaked native tensors: ${nativeStart} -> ${nativeEnd}`);
}

// ---------------------------------------------------------------------------
// 2b. kernel registry (authoritative list of registered CPU kernels + T constraints)
// ---------------------------------------------------------------------------
const HELPER_C = `
#include <stdio.h>
#include "tensorflow/c/c_api.h"
int main(void) {
  TF_Status* s = TF_NewStatus();
  TF_Buffer* b = TF_GetAllRegisteredKernels(s);
  if (TF_GetCode(s) != TF_OK) { fprintf(stderr, "%s\\n", TF_Message(s)); return 1; }
  fwrite(b->data, 1, b->length, stdout);
  TF_DeleteBuffer(b);
  TF_DeleteStatus(s);
  return 0;
}
`;

// Minimal protobuf reader for KernelList / KernelDef / AttrValue.
function* fields(buf, start = 0, end = buf.length) {
  let p = start;
  const varint = () => {
    let r = 0n;
    let shift = 0n;
    for (;;) {
      const byte = buf[p++];
      r |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return r;
      shift += 7n;
    }
  };
  while (p < end) {
    const key = Number(varint());
    const no = key >>> 3;
    const wt = key & 7;
    if (wt === 0) yield {no, wt, v: varint()};
    else if (wt === 2) {
      const len = Number(varint());
      yield {no, wt, s: p, e: p + len};
      p += len;
    } else if (wt === 1) p += 8;
    else if (wt === 5) p += 4;
    else throw new Error(`unsupported wire type ${wt}`);
  }
}
function packedVarints(buf, s, e) {
  const out = [];
  let p = s;
  while (p < e) {
    let r = 0;
    let mul = 1;
    for (;;) {
      const byte = buf[p++];
      r += (byte & 0x7f) * mul;
      if (!(byte & 0x80)) break;
      mul *= 128;
    }
    out.push(r);
  }
  return out;
}
function parseKernelList(buf) {
  const kernels = [];
  for (const f of fields(buf)) {
    if (f.no !== 1 || f.wt !== 2) continue;
    const k = {op: '', device: '', label: '', constraints: {}};
    for (const g of fields(buf, f.s, f.e)) {
      if (g.no === 1) k.op = buf.toString('utf8', g.s, g.e);
      else if (g.no === 2) k.device = buf.toString('utf8', g.s, g.e);
      else if (g.no === 5) k.label = buf.toString('utf8', g.s, g.e);
      else if (g.no === 3) {
        let name = '';
        const types = [];
        for (const h of fields(buf, g.s, g.e)) {
          if (h.no === 1) name = buf.toString('utf8', h.s, h.e);
          else if (h.no === 2) {
            for (const av of fields(buf, h.s, h.e)) {
              if (av.no === 1 && av.wt === 2) {
                for (const lv of fields(buf, av.s, av.e)) {
                  if (lv.no === 6) {
                    if (lv.wt === 2) types.push(...packedVarints(buf, lv.s, lv.e));
                    else types.push(Number(lv.v));
                  }
                }
              }
            }
          }
        }
        k.constraints[name] = types;
      }
    }
    kernels.push(k);
  }
  return kernels;
}

function readRegistry() {
  const cc = ['cc', 'gcc', 'clang'].find((c) => spawnSync(c, ['--version']).status === 0);
  if (!cc) return {skipped: 'no C compiler'};
  const deps = path.join(tfjsNodeDir, 'deps');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-amp-kernels-'));
  try {
    const src = path.join(tmp, 'kernels.c');
    const exe = path.join(tmp, 'kernels');
    fs.writeFileSync(src, HELPER_C);
    const lib = path.join(deps, 'lib');
    const b = spawnSync(
      cc,
      [
        src,
        '-o',
        exe,
        `-I${path.join(deps, 'include')}`,
        `-L${lib}`,
        '-ltensorflow',
        '-ltensorflow_framework',
        `-Wl,-rpath,${lib}`,
      ],
      {
        encoding: 'utf8',
      },
    );
    if (b.status !== 0) return {skipped: `helper build failed: ${b.stderr.slice(0, 500)}`};
    const r = spawnSync(exe, [], {maxBuffer: 1 << 28, env: {...process.env}});
    if (r.status !== 0) return {skipped: `helper failed: ${String(r.stderr).slice(0, 500)}`};
    return {kernels: parseKernelList(r.stdout)};
  } finally {
    fs.rmSync(tmp, {recursive: true, force: true});
  }
}

function summariseRegistry(kernels) {
  const wanted = [
    'MatMul',
    'BatchMatMulV2',
    'Conv2D',
    'Conv2DBackpropInput',
    'Conv2DBackpropFilter',
    'DepthwiseConv2dNative',
    'DepthwiseConv2dNativeBackpropInput',
    'DepthwiseConv2dNativeBackpropFilter',
    '_FusedMatMul',
    '_FusedConv2D',
    '_FusedBatchMatMulV2',
    'FusedBatchNormV3',
    'FusedBatchNormGradV3',
  ];
  const out = {};
  for (const op of wanted) {
    // Include oneDNN variants (_MklX, _MklNativeX) which the eager rewrite may dispatch to.
    const names = [op, `_Mkl${op.replace(/^_/, '')}`, `_MklNative${op.replace(/^_/, '')}`];
    const row = {};
    for (const n of names) {
      const ks = kernels.filter((k) => k.op === n && k.device === 'CPU');
      if (!ks.length) continue;
      const t = new Set();
      for (const k of ks) for (const v of k.constraints.T ?? []) t.add(v);
      const labels = [...new Set(ks.map((k) => k.label).filter(Boolean))];
      row[n] = {
        half: t.has(DT.HALF),
        bfloat16: t.has(DT.BFLOAT16),
        T: [...t].sort((x, y) => x - y).map((v) => DT_NAME[v] ?? v),
        ...(labels.length ? {labels} : {}),
      };
    }
    out[op] = Object.keys(row).length ? row : 'no CPU kernel registered';
  }
  return out;
}

// ---------------------------------------------------------------------------
// 3. MatMul timing
// ---------------------------------------------------------------------------
function bench(n, reps) {
  const nativeStart = backend.getNumOfTFTensors();
  const a = f32([n, n], randArray(n * n, 7, -1, 1));
  const b = f32([n, n], randArray(n * n, 8, -1, 1));
  /** @type {{size: number, reps: number, cpus: number, oneDnnEnv: string, ms: Record<string, unknown>}} */
  const out = {
    size: n,
    reps,
    cpus: os.availableParallelism?.() ?? os.cpus().length,
    oneDnnEnv: process.env.TF_ENABLE_ONEDNN_OPTS ?? '(unset)',
    ms: {},
  };
  const dtypes = [DT.FLOAT, DT.HALF, DT.BFLOAT16];
  const inputs = new Map();
  /** @type {Map<number, number[]>} */
  const times = new Map(dtypes.map((d) => [d, []]));
  const errors = new Map();
  try {
    for (const d of dtypes) {
      inputs.set(d, d === DT.FLOAT ? [a, b] : [cast(a, DT.FLOAT, d), cast(b, DT.FLOAT, d)]);
    }
    // Interleave the dtypes (rep 0 = warm-up) so background load hits all alike.
    for (let r = 0; r <= reps; r++) {
      for (const d of dtypes) {
        if (errors.has(d)) continue;
        try {
          const t0 = performance.now();
          // executeOp returns after TFE_Execute + the output shape query, i.e.
          // after the (synchronous, eager CPU) kernel has finished.
          const [c] = exec('MatMul', [typeAttr('T', d)], inputs.get(d));
          const dt = performance.now() - t0;
          binding.deleteTensor(c.id);
          if (r > 0) times.get(d)?.push(dt);
        } catch (e) {
          errors.set(d, e.message.split('\n')[0]);
        }
      }
    }
  } finally {
    for (const [d, ids] of inputs)
      if (d !== DT.FLOAT) for (const id of ids) binding.deleteTensor(id);
    binding.deleteTensor(a);
    binding.deleteTensor(b);
  }
  for (const d of dtypes) {
    if (errors.has(d)) {
      out.ms[DT_NAME[d]] = {error: errors.get(d)};
      continue;
    }
    const t = (times.get(d) ?? []).sort((x, y) => x - y);
    const median = t[Math.floor(t.length / 2)];
    out.ms[DT_NAME[d]] = {
      median: Number(median.toFixed(1)),
      min: Number(t[0].toFixed(1)),
      max: Number(t[t.length - 1].toFixed(1)),
      gflops: Number(((2 * n ** 3) / (median / 1e3) / 1e9).toFixed(1)),
    };
  }
  const nativeEnd = backend.getNumOfTFTensors();
  if (nativeEnd !== nativeStart)
    failures.push(`benchmark leaked native tensors: ${nativeStart} -> ${nativeEnd}`);
  return out;
}

// ---------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------
if (tf.getBackend() !== 'tensorflow') {
  console.error(`verify-half: backend is ${tf.getBackend()}, want tensorflow`);
  process.exit(1);
}
console.log(
  `TF ${binding.TF_Version}, tfjs-node ${tf.version['tfjs-node']}, backend ${tf.getBackend()}`,
);
const nativeAtStart = backend.getNumOfTFTensors();

for (const op of ['MatMul', 'BatchMatMulV2']) {
  for (const dtype of [DT.HALF, DT.BFLOAT16]) {
    const r = roundTrip(dtype, op);
    report.roundTrip[`${op}:${r.dtype}`] = r;
    console.log(
      `\n[round trip ${r.dtype}] Cast(float32->${r.dtype}) -> ${op}(T=${r.dtype}) ${r.shapes} -> Cast(->float32)\n` +
        `  Cast matches JS round-to-nearest-even: ${r.castMatchesJsRounding}\n` +
        `  result == ${r.dtype}-rounded reference: ${JSON.stringify(r.resultMatches)}\n` +
        `  => equals ${r.matchingReferences.join(' / ') || 'NONE'} (max |diff| vs exact-then-RNE ${r.maxAbsDiffVsExactThenRNE})\n` +
        `  native tensors: start ${r.nativeTensors.start}, with chain alive ${r.nativeTensors.whileChainAlive}, end ${r.nativeTensors.end}; ` +
        `tfjs tensors: ${r.jsTensors.start} -> ${r.jsTensors.end}`,
    );
  }
}

surveyKernels();
console.log('\n[kernel survey via binding.executeOp on CPU]');
console.table(report.kernels);

if (opt.registry) {
  const reg = readRegistry();
  report.registry = reg.kernels ? summariseRegistry(reg.kernels) : reg;
  console.log('\n[kernel registry: CPU kernels whose T constraint includes half / bfloat16]');
  if (reg.kernels) {
    for (const [op, row] of Object.entries(report.registry)) {
      if (typeof row === 'string') console.log(`  ${op}: ${row}`);
      else
        for (const [n, v] of Object.entries(row)) {
          console.log(
            `  ${n}: half=${v.half} bfloat16=${v.bfloat16}  T=${v.T.join(',')}${v.labels ? ` labels=${v.labels}` : ''}`,
          );
        }
    }
  } else console.log(`  skipped: ${reg.skipped}`);
}

if (opt.bench) {
  report.bench = bench(opt.size, opt.reps);
  console.log(
    `\n[MatMul ${opt.size}x${opt.size} timing (ms), median of ${opt.reps} interleaved reps after 1 warm-up, ${report.bench.cpus} CPUs, TF_ENABLE_ONEDNN_OPTS=${report.bench.oneDnnEnv}]`,
  );
  console.table(report.bench.ms);
}

const nativeAtEnd = backend.getNumOfTFTensors();
report.nativeTensors = {start: nativeAtStart, end: nativeAtEnd};
if (nativeAtEnd !== nativeAtStart)
  failures.push(`native tensor count ${nativeAtStart} -> ${nativeAtEnd}`);
report.failures = failures;
if (opt.json) fs.writeFileSync(opt.json, `${JSON.stringify(report, null, 2)}\n`);

console.log(`\nnative tensor count: start ${nativeAtStart}, end ${nativeAtEnd}`);
if (failures.length) {
  console.error(`\nverify-half: FAILED\n  - ${failures.join('\n  - ')}`);
  process.exit(1);
}
console.log('verify-half: OK');
