// Throughput of rounding to each format vs a plain copy on the same backend, 16M float32 values
// of normal-range data (N(0, 4²): well inside every format's range). Not a timed test: a report.
//
//   npm run bench -w @tfjs-amp/kernels        (BENCH_VALUES=1048576 for a quick run)
//
// Rows: typed arrays (what the cpu kernel runs) vs TypedArray#set (memcpy) and vs a JavaScript
// copy loop; the cpu backend's quantize vs an allocating Float32Array copy (tf.clone shares the
// buffer on cpu, so it copies nothing); the wasm backend's quantize (WebAssembly SIMD on the
// heap) vs its own tf.clone and tf.add. Targets from the issue, as time ratios candidate/baseline
// (lower is faster): typed-array rounding ≤ 1.25× a Float32Array copy (≥ 0.80× its throughput);
// wasm quantize ≤ 4× wasm tf.add (≥ 0.25× its throughput).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {type FormatName, quantize, roundArray} from '@tfjs-amp/kernels';
import {type ComparisonRow, compareRuns, reportComparisons} from '@tfjs-amp/test-utils';

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

const src = normalData(N, 4);
const dst = new Float32Array(N);
const rows: ComparisonRow[] = [];

// 1. Typed arrays.
for (const format of FORMATS) {
  rows.push(
    await compareRuns({
      name: `roundArray ${format}`,
      unit: `${N} values`,
      backend: 'typed arrays',
      baseline: {name: 'dst.set(src) (memcpy)', run: () => dst.set(src)},
      candidate: {name: `roundArray → ${format}`, run: () => roundArray(src, format, dst)},
      target: 1.25,
    }),
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
    await compareRuns({
      name: `roundArray ${format} vs loop`,
      unit: `${N} values`,
      backend: 'typed arrays',
      baseline: {name: 'JS copy loop', run: () => copyLoop(srcBits, dstBits)},
      candidate: {name: `roundArray → ${format}`, run: () => roundArray(src, format, dst)},
      target: null,
    }),
  );
}

// ReLU-like data (half exact zeros, at random positions): zeros take the fast path too.
{
  const relu = src.map((v) => Math.max(v, 0));
  rows.push(
    await compareRuns({
      name: 'roundArray float16 relu',
      unit: `${N} values`,
      backend: 'typed arrays',
      baseline: {name: 'dst.set(src) (memcpy)', run: () => dst.set(relu)},
      candidate: {
        name: 'roundArray → float16, ReLU data',
        run: () => roundArray(relu, 'float16', dst),
      },
      target: null,
    }),
  );
}

// 2. cpu backend.
await tf.setBackend('cpu');
{
  const x = tf.tensor1d(src);
  for (const format of ['float16', 'bfloat16'] as const) {
    rows.push(
      await compareRuns({
        name: `cpu quantize ${format}`,
        unit: `${N} values`,
        backend: 'cpu',
        baseline: {name: 'src.slice() (alloc + copy)', run: () => src.slice()},
        candidate: {name: `quantize → ${format}`, run: () => quantize(x, format).dispose()},
        rounds: 9,
        target: 1.25,
      }),
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
      await compareRuns({
        name: `wasm quantize ${format} vs add`,
        unit: `${N} values`,
        backend: 'wasm',
        baseline: {name: 'tf.add(x, y)', run: () => tf.add(x, y).dispose()},
        candidate: {name: `quantize → ${format}`, run: () => quantize(x, format).dispose()},
        target: 4,
      }),
    );
  }
  rows.push(
    await compareRuns({
      name: 'wasm quantize float16 vs clone',
      unit: `${N} values`,
      backend: 'wasm',
      baseline: {name: 'tf.clone(x)', run: () => tf.clone(x).dispose()},
      candidate: {name: 'quantize → float16', run: () => quantize(x, 'float16').dispose()},
      target: null,
    }),
  );
  tf.dispose([x, y]);
}

reportComparisons({
  subject: 'quantize-vs-copy',
  title: `quantize vs copy: ${N} float32 values (N(0, 4²)), median time per call of alternating runs; time ratio candidate/baseline (lower is faster)`,
  rows,
  resultsDir: new URL('./results/', import.meta.url),
});
