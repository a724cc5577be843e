// Native half-precision kernels on the `tensorflow` backend: MatMul 2048×2048 and an MLP
// training step, float32 vs bfloat16 vs float16, side by side in one run.
//
//   npm run provision:tfjs-node    # once (or npm install @tensorflow/tfjs-node with internet)
//   TF_CPP_MIN_LOG_LEVEL=2 npx tsx --conditions=@tfjs-amp/source bench/tensorflow-matmul-and-mlp.ts
//
// Options: --size 2048 --rounds 7 --warmup 2 --batch 256 --hidden 1024 --quick (small sizes, for
// CI) --out <file name under bench/results/>. TFJS_NODE_PACKAGE=@tensorflow/tfjs-node-gpu runs it
// on tfjs-node-gpu (see bench/gpu.sh). Prints which kernels run natively, one table per workload
// (median, p10–p90 spread, ratio to float32 in the same round, lower is better) and writes
// bench/results/tensorflow-matmul-and-mlp.json.
import * as tf from '@tensorflow/tfjs';
import {quantile} from '@tfjs-amp/kernels/shared';
import {machineLine} from '@tfjs-amp/test-utils';
import {mkdirSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {
  type FormatName,
  nativeBackendInfo,
  nativeKernelSupport,
  withComputeFormat,
} from '../src/index.js';
import {TF_DTYPES} from '../src/native/binding.js';
import {applyMixed} from '../test/tensorflow/mixed.js';

const packageName = process.env.TFJS_NODE_PACKAGE ?? '@tensorflow/tfjs-node';
await import(packageName);
await tf.setBackend('tensorflow');

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
function option(name: string, fallback: number): number {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? Number(argv[at + 1]) : fallback;
}
const size = option('size', quick ? 256 : 2048);
const rounds = option('rounds', quick ? 3 : 7);
const warmup = option('warmup', quick ? 1 : 2);
const batch = option('batch', quick ? 32 : 256);
const hidden = option('hidden', quick ? 128 : 1024);
const outName = argv.includes('--out')
  ? argv[argv.indexOf('--out') + 1]!
  : 'tensorflow-matmul-and-mlp.json';

const native = {float16: nativeKernelSupport('float16'), bfloat16: nativeKernelSupport('bfloat16')};
console.log(
  `native kernels: float16 [${native.float16.join(' ')}]; bfloat16 [${native.bfloat16.join(' ')}]`,
);

/** The shared machine line (CPU, flags, load, Node, tfjs, date) plus the TensorFlow build and device. */
function tensorflowMachineLine(): string {
  const info = nativeBackendInfo();
  return `${machineLine(`tensorflow (${packageName}, TF ${info?.tensorflowVersion ?? '?'}, ${info?.device ?? '?'})`)}`;
}

interface Variant {
  readonly name: string;
  readonly step: () => Promise<void>;
}

interface Row {
  readonly name: string;
  readonly medianMs: number;
  readonly p10Ms: number;
  readonly p90Ms: number;
  /** Median over rounds of (this variant's ms / the baseline's ms in the same round). */
  readonly ratio: number;
}

/** Warm-up, then `rounds` rounds timing each variant once per round, in rotating order. */
async function measure(title: string, variants: Variant[]): Promise<Row[]> {
  for (const v of variants) for (let i = 0; i < warmup; i++) await v.step();
  const times = variants.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < variants.length; k++) {
      const i = (k + r) % variants.length;
      const start = performance.now();
      await variants[i]!.step();
      times[i]!.push(performance.now() - start);
    }
  }
  const rows = variants.map((v, i) => {
    const sorted = [...times[i]!].sort((a, b) => a - b);
    const ratios = times[i]!.map((t, r) => t / times[0]![r]!).sort((a, b) => a - b);
    return {
      name: v.name,
      medianMs: quantile(sorted, 0.5),
      p10Ms: quantile(sorted, 0.1),
      p90Ms: quantile(sorted, 0.9),
      ratio: quantile(ratios, 0.5),
    };
  });
  console.log(
    `\n${title} — ${rounds} rounds after ${warmup} warm-up; ratio = variant / float32 (lower is better)`,
  );
  console.table(
    Object.fromEntries(
      rows.map((r) => [
        r.name,
        {
          'median ms': r.medianMs.toFixed(1),
          'p10–p90 ms': `${r.p10Ms.toFixed(1)}–${r.p90Ms.toFixed(1)}`,
          ratio: `${r.ratio.toFixed(2)}×`,
        },
      ]),
    ),
  );
  return rows;
}

// --- MatMul size × size -------------------------------------------------------------------------
type Binding = {
  executeOp(op: string, attrs: unknown[], ids: number[], n: number): Array<{id: number}>;
  deleteTensor(id: number): void;
  tensorDataSync(id: number): Float32Array;
  TF_ATTR_TYPE: number;
  TF_ATTR_BOOL: number;
  TF_FLOAT: number;
};
const node = tf.backend() as unknown as {
  binding: Binding;
  getInputTensorIds(t: tf.Tensor[]): number[];
};
const binding = node.binding;
const typeAttr = (name: string, value: number) => ({name, type: binding.TF_ATTR_TYPE, value});

const a = tf.randomNormal([size, size]);
const b = tf.randomNormal([size, size]);
/** Inputs already cast (once) to the format, to time TF's MatMul kernel alone. */
function preCast(format: FormatName): number[] {
  const dtype = TF_DTYPES[format]!;
  const cast = [
    typeAttr('SrcT', binding.TF_FLOAT),
    typeAttr('DstT', dtype),
    {name: 'Truncate', type: binding.TF_ATTR_BOOL, value: false},
  ];
  return node
    .getInputTensorIds([a, b])
    .map((id) => binding.executeOp('Cast', cast, [id], 1)[0]!.id);
}
const cast16 = preCast('float16');
const castBf16 = preCast('bfloat16');
/** TF's MatMul on inputs cast once up front; the result is cast back and read, as tf.matMul's is. */
function opOnly(ids: number[], dtype: number): () => Promise<void> {
  const back = [
    typeAttr('SrcT', dtype),
    typeAttr('DstT', binding.TF_FLOAT),
    {name: 'Truncate', type: binding.TF_ATTR_BOOL, value: false},
  ];
  return async () => {
    const out = binding.executeOp('MatMul', [typeAttr('T', dtype)], ids, 1)[0]!;
    const out32 = binding.executeOp('Cast', back, [out.id], 1)[0]!;
    binding.tensorDataSync(out32.id); // waits for the device (tfjs-node-gpu runs ops asynchronously)
    binding.deleteTensor(out.id);
    binding.deleteTensor(out32.id);
  };
}
const matmulIn = (format: FormatName | null) => async () => {
  const y = format == null ? tf.matMul(a, b) : withComputeFormat(format, () => tf.matMul(a, b));
  await y.data();
  y.dispose();
};
const matmulRows = await measure(`MatMul ${size}×${size} (tf.matMul, result read back)`, [
  {name: 'float32', step: matmulIn(null)},
  {name: 'bfloat16 (cast, MatMul, cast back)', step: matmulIn('bfloat16')},
  {name: 'float16 (cast, MatMul, cast back)', step: matmulIn('float16')},
  {name: 'bfloat16 MatMul, inputs pre-cast', step: opOnly(castBf16, TF_DTYPES.bfloat16!)},
  {name: 'float16 MatMul, inputs pre-cast', step: opOnly(cast16, TF_DTYPES.float16!)},
]);
for (const id of [...cast16, ...castBf16]) binding.deleteTensor(id);
tf.dispose([a, b]);

// --- MLP training step --------------------------------------------------------------------------
const features = 784;
function buildMlp(): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [features],
        units: hidden,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({seed: 1}),
      }),
      tf.layers.dense({
        units: hidden,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({seed: 2}),
      }),
      tf.layers.dense({units: 10, kernelInitializer: tf.initializers.glorotUniform({seed: 3})}),
    ],
  });
  model.compile({optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError'});
  return model;
}
const xs = tf.randomNormal([batch, features]);
const ys = tf.randomNormal([batch, 10]);
const models: tf.LayersModel[] = [];
function stepOf(mixed: {format: FormatName; native: boolean} | null): () => Promise<void> {
  const model = buildMlp();
  models.push(model);
  if (mixed != null) applyMixed(model, mixed.format, mixed.native);
  return async () => {
    const loss = (await model.trainOnBatch(xs, ys)) as number;
    if (!Number.isFinite(loss)) throw new Error(`MLP step: loss ${loss}`);
  };
}
const mlpRows = await measure(
  `MLP training step (${features}→${hidden}→${hidden}→10, batch ${batch}, SGD, model.trainOnBatch)`,
  [
    {name: 'float32', step: stepOf(null)},
    {name: 'mixed_bfloat16, native kernels', step: stepOf({format: 'bfloat16', native: true})},
    {name: 'mixed_float16, native kernels', step: stepOf({format: 'float16', native: true})},
    {name: 'mixed_bfloat16, emulated', step: stepOf({format: 'bfloat16', native: false})},
    {name: 'mixed_float16, emulated', step: stepOf({format: 'float16', native: false})},
  ],
);
for (const m of models) m.dispose();
tf.dispose([xs, ys]);

const machine = tensorflowMachineLine();
console.log(`\n${machine}`);
const out = join(dirname(fileURLToPath(import.meta.url)), 'results', outName);
mkdirSync(dirname(out), {recursive: true});
writeFileSync(
  out,
  `${JSON.stringify({subject: 'tensorflow-matmul-and-mlp', machine, native, options: {size, rounds, warmup, batch, hidden}, matmul: matmulRows, mlpStep: mlpRows}, null, 2)}\n`,
);
console.log(`wrote ${out}`);
