// Throughput of rounding to each format vs a plain copy on the same backend, 16M float32 values
// of normal-range data (N(0, 4²): well inside every format's range). Not a timed test: a report.
//
//   npm run bench -w @tfjs-amp/kernels        (BENCH_VALUES=1048576 for a quick run)
//
// Rows: typed arrays (what the cpu kernel runs) vs TypedArray#set (memcpy) and vs a JavaScript
// copy loop; the cpu backend's quantize vs an allocating Float32Array copy (tf.clone shares the
// buffer on cpu, so it copies nothing); the wasm backend's quantize (WebAssembly SIMD on the
// heap) vs its own tf.clone and tf.add. Targets from the issue: typed-array rounding ≥ 0.80× a
// Float32Array copy; wasm quantize ≥ 0.25× wasm tf.add.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {type FormatName, quantize, roundArray} from '@tfjs-amp/kernels';
import {type Comparison, compare, machineInfo, printTable, writeResults} from './compare-runs.js';

const N = Number(process.env.BENCH_VALUES ?? 2 ** 24);
const FORMATS: FormatName[] = ['float16', 'bfloat16', 'float8_e4m3fn', 'float8_e5m2', 'tf32'];

/** N(0, sd²) samples from a fixed-seed generator (Box–Muller over a 32-bit LCG). */
function normalData(n: number, sd: number): Float32Array {
  const out = new Float32Array(n);
  let state = 12345;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 2 ** 32;
  };
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform())) * sd;
    const theta = 2 * Math.PI * uniform();
    out[i] = r * Math.cos(theta);
    if (i + 1 < n) out[i + 1] = r * Math.sin(theta);
  }
  return out;
}

const machine = machineInfo();
const src = normalData(N, 4);
const dst = new Float32Array(N);
const rows: Comparison[] = [];

// 1. Typed arrays.
for (const format of FORMATS) {
  rows.push(
    compare(
      {
        name: `roundArray ${format}`,
        backend: 'typed arrays',
        baseline: 'dst.set(src) (memcpy)',
        candidate: `roundArray → ${format}`,
        values: N,
        target: 0.8,
      },
      () => dst.set(src),
      () => roundArray(src, format, dst),
    ),
  );
}
/** The best plain-JavaScript copy: an int32 loop in its own function. */
function copyLoop(s: Int32Array, d: Int32Array): void {
  const n = s.length;
  for (let i = 0; i < n; i++) d[i] = s[i]!;
}
const srcBits = new Int32Array(src.buffer);
const dstBits = new Int32Array(dst.buffer);
for (const format of ['float16', 'bfloat16'] as const) {
  rows.push(
    compare(
      {
        name: `roundArray ${format} vs loop`,
        backend: 'typed arrays',
        baseline: 'JS copy loop',
        candidate: `roundArray → ${format}`,
        values: N,
        target: null,
      },
      () => copyLoop(srcBits, dstBits),
      () => roundArray(src, format, dst),
    ),
  );
}

// ReLU-like data (half exact zeros, at random positions): zeros take the fast path too.
{
  const relu = src.map((v) => Math.max(v, 0));
  rows.push(
    compare(
      {
        name: 'roundArray float16 relu',
        backend: 'typed arrays',
        baseline: 'dst.set(src) (memcpy)',
        candidate: 'roundArray → float16, ReLU data',
        values: N,
        target: null,
      },
      () => dst.set(relu),
      () => roundArray(relu, 'float16', dst),
    ),
  );
}

// 2. cpu backend.
await tf.setBackend('cpu');
{
  const x = tf.tensor1d(src);
  for (const format of ['float16', 'bfloat16'] as const) {
    rows.push(
      compare(
        {
          name: `cpu quantize ${format}`,
          backend: 'cpu',
          baseline: 'src.slice() (alloc + copy)',
          candidate: `quantize → ${format}`,
          values: N,
          target: 0.8,
        },
        () => src.slice(),
        () => quantize(x, format).dispose(),
        {runs: 9},
      ),
    );
  }
  x.dispose();
}

// 3. wasm backend.
await tf.setBackend('wasm');
{
  const x = tf.tensor1d(src);
  const y = tf.tensor1d(src);
  for (const format of FORMATS) {
    rows.push(
      compare(
        {
          name: `wasm quantize ${format} vs add`,
          backend: 'wasm',
          baseline: 'tf.add(x, y)',
          candidate: `quantize → ${format}`,
          values: N,
          target: 0.25,
        },
        () => tf.add(x, y).dispose(),
        () => quantize(x, format).dispose(),
      ),
    );
  }
  rows.push(
    compare(
      {
        name: 'wasm quantize float16 vs clone',
        backend: 'wasm',
        baseline: 'tf.clone(x)',
        candidate: 'quantize → float16',
        values: N,
        target: null,
      },
      () => tf.clone(x).dispose(),
      () => quantize(x, 'float16').dispose(),
    ),
  );
  tf.dispose([x, y]);
}

printTable(
  `quantize vs copy: ${N} float32 values (N(0, 4²)), median of alternating runs, ±half the p10–p90 spread`,
  machine,
  rows,
);
console.log(`\nwrote ${writeResults('quantize-vs-copy', machine, rows)}`);
