// WebGPU float16 against float32 on a real GPU, in Node: Dawn (the `webgpu` npm package) on the
// machine's Vulkan driver, tfjs-backend-webgpu with the device created with `shader-f16`, and
// tfjs-amp's WGSL float16 kernels. Measures a MatMul of 4096² (f32 vs f16) and one training step
// of W1 (MLP 784-1024-1024-10, batch 256, Adam) under float32 and mixed_float16 (policy plus a
// sync-free LossScaleOptimizer), in alternating rounds; prints and writes a JSON report.
//
// Run here:        npx tsx --conditions=@tfjs-amp/source bench/webgpu-speed.ts [--quick]
// For a GPU box:   npm run bench:webgpu:bundle -w @tfjs-amp/bench   (writes bench/webgpu-bundle/)
//                  then copy that folder and run `node webgpu-speed.mjs` there: it needs only a
//                  Node binary (≥ 20) and a Vulkan loader (libvulkan.so.1; pass
//                  `--vulkan /path/libvulkan.so.1` if the system has none). On lavapipe (CPU) the
//                  numbers mean nothing; `--quick` shrinks the shapes to check the pipeline.
// Targets (issue #11): f16 MatMul ≤ 0.6× f32, W1 mixed_float16 step ≤ 0.8× float32.
import {mkdirSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import os from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import * as tf from '@tensorflow/tfjs';
import {LossScaleOptimizer} from '@tfjs-amp/loss-scale';
import {applyPolicy} from '@tfjs-amp/policy';
import {requestShaderF16, withComputeFormat} from '@tfjs-amp/kernels';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const vulkan = args.includes('--vulkan') ? args[args.indexOf('--vulkan') + 1] : undefined;
const here = dirname(fileURLToPath(import.meta.url));

if (vulkan != null) {
  // Loaded before Dawn, so Dawn's dlopen("libvulkan.so.1") finds it.
  const {RTLD_NOW, RTLD_GLOBAL} = os.constants.dlopen as {RTLD_NOW: number; RTLD_GLOBAL: number};
  const RTLD_NODELETE = 0x1000; // keep it loaded when Node rejects it as an addon
  try {
    process.dlopen({exports: {}}, vulkan, RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE);
  } catch {
    // "Module did not self-register": expected for a plain library; it stays loaded.
  }
}

// Dawn: beside this file when bundled (dawn.node copied in), else the `webgpu` package.
const require = createRequire(import.meta.url);
let dawn: {create(flags: string[]): unknown; globals: Record<string, unknown>};
try {
  dawn = require(join(here, 'dawn.node'));
} catch {
  dawn = (await import('webgpu' as string)) as typeof dawn;
}
Object.assign(globalThis, dawn.globals);
const gpu = dawn.create([]) as {
  requestAdapter(): Promise<{features: Set<string>; info?: Record<string, string>} | null>;
};
Object.defineProperty(globalThis, 'navigator', {value: {gpu}, configurable: true});
const adapter = await gpu.requestAdapter();
if (adapter == null) throw new Error('webgpu-speed: Dawn found no adapter (no Vulkan driver?).');
const device = adapter.info
  ? `${adapter.info.vendor} ${adapter.info.device ?? ''} ${adapter.info.description ?? ''}`.trim()
  : 'unknown';
if (!adapter.features.has('shader-f16')) {
  throw new Error(`webgpu-speed: the adapter (${device}) has no 'shader-f16'; nothing to measure.`);
}
// The backend registers itself only if navigator.gpu exists at import.
await import('@tensorflow/tfjs-backend-webgpu' as string);
requestShaderF16();
if (!(await tf.setBackend('webgpu')))
  throw new Error("webgpu-speed: tf.setBackend('webgpu') failed");
await tf.ready();

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const rounds = quick ? 3 : 10;

/** Times `step` (which returns a tensor) to completion on the device: one read per round. */
async function timeIt(step: () => tf.Tensor | Promise<unknown>): Promise<number> {
  const start = performance.now();
  const out = await step();
  if (out instanceof tf.Tensor) {
    await out.data();
    out.dispose();
  }
  return performance.now() - start;
}

// MatMul n², f32 kernel vs WGSL f16 (f16 operands, f32 sums), result read back each round.
const n = quick ? 256 : 4096;
const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
const matmul = {
  float32: () => tf.matMul(a, b),
  float16: () => withComputeFormat('float16', () => tf.matMul(a, b)),
};
const matmulMs: Record<string, number[]> = {float32: [], float16: []};
for (const f of Object.values(matmul)) await timeIt(f); // compile the pipelines
for (let r = 0; r < rounds; r++) {
  for (const [k, f] of Object.entries(matmul)) matmulMs[k]!.push(await timeIt(f));
}

// W1 training steps.
const dims = quick ? [64, 128, 128, 10] : [784, 1024, 1024, 10];
const batch = quick ? 32 : 256;
const x = tf.randomNormal([batch, dims[0]!], 0, 1, 'float32', 3);
const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 4), 10).toFloat();
const models = Object.fromEntries(
  (['float32', 'mixed_float16'] as const).map((policy) => {
    const m = tf.sequential({
      layers: [
        tf.layers.dense({inputShape: [dims[0]!], units: dims[1]!, activation: 'relu'}),
        tf.layers.dense({units: dims[2]!, activation: 'relu'}),
        tf.layers.dense({units: dims[3]!, activation: 'softmax'}),
      ],
    });
    const adam = tf.train.adam(1e-3);
    if (policy !== 'float32') applyPolicy(m, policy);
    m.compile({
      optimizer: policy === 'float32' ? adam : new LossScaleOptimizer(adam, {mode: 'device'}),
      loss: 'categoricalCrossentropy',
    });
    return [policy, m];
  }),
);
const stepMs: Record<string, number[]> = {float32: [], mixed_float16: []};
for (const m of Object.values(models)) for (let i = 0; i < 2; i++) await m.trainOnBatch(x, y);
for (let r = 0; r < rounds; r++) {
  for (const [k, m] of Object.entries(models)) {
    stepMs[k]!.push(await timeIt(() => m.trainOnBatch(x, y)));
  }
}

const report = {
  date: new Date().toISOString(),
  device,
  node: process.version,
  host: `${os.cpus()[0]?.model} × ${os.cpus().length}`,
  quick,
  matmul: {
    n,
    medianMs: {float32: median(matmulMs.float32!), float16: median(matmulMs.float16!)},
    ratio: median(matmulMs.float16!) / median(matmulMs.float32!),
    target: 0.6,
  },
  w1Step: {
    dims,
    batch,
    medianMs: {float32: median(stepMs.float32!), mixed_float16: median(stepMs.mixed_float16!)},
    ratio: median(stepMs.mixed_float16!) / median(stepMs.float32!),
    target: 0.8,
  },
};
console.log(JSON.stringify(report, null, 2));
const out = join(here, 'results');
mkdirSync(out, {recursive: true});
writeFileSync(
  join(out, `webgpu-speed${quick ? '-quick' : ''}.json`),
  `${JSON.stringify(report, null, 2)}\n`,
);
tf.dispose([a, b, x, y]);
for (const m of Object.values(models)) m.dispose();
process.exit(0);
