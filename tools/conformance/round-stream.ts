// Streams @tfjs-amp/kernels rounding results for sweep.py: for each chunk of 2^24 float32 bit
// patterns, writes the 2^24 rounded float32 bit patterns (little-endian uint32) to stdout.
//
//   npx tsx --conditions=@tfjs-amp/source tools/conformance/round-stream.ts \
//     <format> <impl> <all|sample> <firstChunk> <chunkCount>
//
// impl: js           roundArray (the typed-array core the cpu kernel runs)
//       wasm         quantize on the tfjs wasm backend (the WebAssembly SIMD kernel on its heap)
//       wasm-nosimd  quantize on wasm with WASM_HAS_SIMD_SUPPORT off (JavaScript over the heap)
//       generic-wasm the generic kernel (tfjs ops only), its ops run by the wasm backend: a copy
//                    of wasm registered as 'wasm-generic' with every wasm kernel but AmpQuantize,
//                    so quantize gets the generic kernel every unknown backend gets (public API
//                    only: nothing imports the package's sources)
// Inputs of chunk c, element i (n = c · 2^24 + i): `all` → n itself; `sample` → fmix32(n), a
// bijection on uint32 (MurmurHash3's finalizer), so samples are distinct pseudo-random patterns.
// sweep.py computes the same inputs.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {type FormatName, isFormatName, quantize, roundArray} from '@tfjs-amp/kernels';

const CHUNK = 2 ** 24;
const IMPLS = ['js', 'wasm', 'wasm-nosimd', 'generic-wasm'] as const;
type Impl = (typeof IMPLS)[number];

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function fail(message: string): never {
  process.stderr.write(`round-stream: ${message}\n`);
  process.exit(2);
}

const [format, impl, mode, firstText, countText] = process.argv.slice(2);
if (!isFormatName(format)) fail(`unknown format '${format}'`);
if (!IMPLS.includes(impl as Impl)) fail(`unknown impl '${impl}'. Allowed: ${IMPLS.join(', ')}.`);
if (mode !== 'all' && mode !== 'sample') fail(`mode must be all or sample; got '${mode}'`);
const first = Number(firstText);
const count = Number(countText);
if (!Number.isInteger(first) || !Number.isInteger(count) || first < 0 || count < 1) {
  fail('firstChunk and chunkCount must be non-negative integers');
}

if (impl !== 'js') {
  if (impl === 'wasm-nosimd') tf.env().set('WASM_HAS_SIMD_SUPPORT', false);
  await tf.setBackend('wasm');
  await tf.ready();
}
if (impl === 'generic-wasm') {
  const wasm = tf.findBackend('wasm');
  if (wasm == null) fail('the wasm backend did not start');
  tf.registerBackend('wasm-generic', () => wasm);
  for (const k of tf.getKernelsForBackend('wasm')) {
    if (k.kernelName !== 'AmpQuantize') tf.registerKernel({...k, backendName: 'wasm-generic'});
  }
  await tf.setBackend('wasm-generic');
}

const input = new Uint32Array(CHUNK);
const inputValues = new Float32Array(input.buffer);
const output = new Float32Array(CHUNK);

function round(name: FormatName): void {
  if (impl === 'js') {
    roundArray(inputValues, name, output);
    return;
  }
  const x = tf.tensor1d(inputValues);
  const y = quantize(x, name);
  output.set(y.dataSync() as Float32Array);
  tf.dispose([x, y]);
}

function write(bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(bytes, (err) => (err ? reject(err) : resolve()));
  });
}

for (let chunk = first; chunk < first + count; chunk++) {
  const base = chunk * CHUNK;
  if (mode === 'all') {
    for (let i = 0; i < CHUNK; i++) input[i] = base + i;
  } else {
    for (let i = 0; i < CHUNK; i++) input[i] = fmix32((base + i) >>> 0);
  }
  round(format);
  await write(new Uint8Array(output.buffer));
}
