// Mixed precision on an NVIDIA GPU through tfjs-node-gpu: MatMul 4096×4096 and the training steps
// of W1 (MLP 784-1024-1024-10, batch 256) and W4 (MLP 1024-4096-4096-10, batch 512), each under
// float32 (TF32 allowed, TF's default on Ampere and newer), mixed_float16 and mixed_bfloat16.
// Run it through bench/gpu.sh, which provisions tfjs-node-gpu with the CUDA 12 runtime first:
//
//   packages/kernels/bench/gpu.sh [--rounds 10] [--warmup 3] [--out results/tensorflow-gpu.json]
//
// `--cpu-smoke` runs the same code with small shapes where no GPU is visible (TF's CPU fallback),
// to check the script itself; its numbers say nothing about a GPU.
//
// Timing: each variant runs `inner` times back to back, then one scalar is read (that waits for
// the GPU stream); the time per run is the total over `inner`. Variants rotate order each round;
// the ratio is the median over rounds of (variant / float32 in the same round), lower is better.
// Mixed precision as @tfjs-amp/policy runs it on the `tensorflow` backend (test/tensorflow/mixed.ts:
// inputs, weights and outputs of each layer rounded, the layer's matrix kernels and their gradients
// in the 16-bit format inside libtensorflow); no loss scaling (LossScaleOptimizer adds one scale
// multiply and one finiteness check per gradient, the same on every device).
import * as tf from '@tensorflow/tfjs';
import {execFileSync} from 'node:child_process';
import {quantile} from '@tfjs-amp/kernels/shared';
import {mkdirSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import {dirname, isAbsolute, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {
  type FormatName,
  getNativeDispatch,
  nativeBackendInfo,
  nativeKernelReport,
  withComputeFormat,
} from '../src/index.js';
import {TF_DTYPES} from '../src/native/binding.js';
import {applyMixed} from '../test/tensorflow/mixed.js';

const packageName = process.env.TFJS_NODE_PACKAGE ?? '@tensorflow/tfjs-node-gpu';
await import(packageName);
await tf.setBackend('tensorflow');

const argv = process.argv.slice(2);
const smoke = argv.includes('--cpu-smoke');
function option(name: string, fallback: number): number {
  const at = argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(argv[at + 1]);
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`--${name} must be a positive integer, got ${argv[at + 1]}`);
  }
  return value;
}
const rounds = option('rounds', smoke ? 2 : 10);
const warmup = option('warmup', smoke ? 1 : 3);
const here = dirname(fileURLToPath(import.meta.url));
const outArg = argv.includes('--out') ? argv[argv.indexOf('--out') + 1]! : null;
const out =
  outArg == null
    ? join(here, 'results', smoke ? 'tensorflow-gpu-cpu-smoke.json' : 'tensorflow-gpu.json')
    : isAbsolute(outArg)
      ? outArg
      : join(here, outArg);

const info = nativeBackendInfo();
const tensorsAtStart = tf.memory().numTensors;
if (info?.device !== 'gpu' && !smoke) {
  console.error(
    `tensorflow-gpu: TF runs ops on ${info?.device ?? 'no tensorflow backend'}, not a GPU. ` +
      'Run `node tools/provision-tfjs-node/provision.mjs --gpu --cuda-libs` and read its ' +
      '"GPUs visible" line (TF_CPP_MIN_LOG_LEVEL=0 shows why TF skipped the GPU), or pass ' +
      '--cpu-smoke to check this script on the CPU.',
  );
  process.exit(3);
}

/** The GPU as nvidia-smi names it, or null without one. */
function gpuLine(): string | null {
  try {
    return execFileSync(
      'nvidia-smi',
      ['--query-gpu=name,driver_version,compute_cap,memory.total', '--format=csv,noheader'],
      {encoding: 'utf8'},
    )
      .trim()
      .split('\n')[0]!;
  } catch {
    return null;
  }
}

const machine = {
  gpu: gpuLine(),
  cpu: `${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${os.availableParallelism()} cores`,
  node: process.version,
  tfjs: tf.version.tfjs,
  package: packageName,
  tensorflow: info?.tensorflowVersion ?? null,
  device: info?.device ?? null,
  dispatch: getNativeDispatch(),
  date: new Date().toISOString(),
};
console.log(JSON.stringify(machine));
const native = Object.fromEntries(
  (['float16', 'bfloat16'] as const).map((f) => [
    f,
    nativeKernelReport(f).map((r) => ({kernel: r.kernel, native: r.native, reason: r.reason})),
  ]),
);
for (const [format, rows] of Object.entries(native)) {
  const on = rows.filter((r) => r.native).map((r) => r.kernel);
  console.log(`native ${format}: [${on.join(' ')}]`);
}

interface Variant {
  readonly name: string;
  /** Runs the work once and returns a scalar to read (reading it waits for the device). */
  readonly run: () => tf.Scalar;
}

interface Row {
  readonly name: string;
  readonly medianMs: number;
  readonly p10Ms: number;
  readonly p90Ms: number;
  readonly ratio: number;
  readonly tflops?: number;
}

/** `inner` runs back to back, one read at the end; ms per run. */
async function timeOnce(v: Variant, inner: number): Promise<number> {
  const start = performance.now();
  let last: tf.Scalar | null = null;
  for (let i = 0; i < inner; i++) {
    last?.dispose();
    last = v.run();
  }
  await last!.data();
  last!.dispose();
  return (performance.now() - start) / inner;
}

async function measure(
  title: string,
  variants: Variant[],
  inner: number,
  flops?: number,
): Promise<Row[]> {
  for (const v of variants) for (let i = 0; i < warmup; i++) await timeOnce(v, inner);
  const times = variants.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < variants.length; k++) {
      const i = (k + r) % variants.length;
      times[i]!.push(await timeOnce(variants[i]!, inner));
    }
  }
  const rows: Row[] = variants.map((v, i) => {
    const sorted = [...times[i]!].sort((a, b) => a - b);
    const ratios = times[i]!.map((t, r) => t / times[0]![r]!).sort((a, b) => a - b);
    const medianMs = quantile(sorted, 0.5);
    return {
      name: v.name,
      medianMs,
      p10Ms: quantile(sorted, 0.1),
      p90Ms: quantile(sorted, 0.9),
      ratio: quantile(ratios, 0.5),
      ...(flops == null ? {} : {tflops: flops / (medianMs * 1e-3) / 1e12}),
    };
  });
  console.log(`\n${title}: ${rounds} rounds after ${warmup} warm-up, ${inner} runs per timing`);
  console.table(
    Object.fromEntries(
      rows.map((r) => [
        r.name,
        {
          'median ms': r.medianMs.toFixed(3),
          'p10–p90 ms': `${r.p10Ms.toFixed(3)}–${r.p90Ms.toFixed(3)}`,
          'vs float32': `${r.ratio.toFixed(2)}×`,
          ...(r.tflops == null ? {} : {'TFLOP/s': r.tflops.toFixed(1)}),
        },
      ]),
    ),
  );
  return rows;
}

// --- MatMul n×n ---------------------------------------------------------------------------------
type Binding = {
  executeOp(op: string, attrs: unknown[], ids: number[], n: number): Array<{id: number}>;
  deleteTensor(id: number): void;
  TF_ATTR_TYPE: number;
  TF_ATTR_BOOL: number;
  TF_FLOAT: number;
};
const node = tf.backend() as unknown as {
  binding: Binding;
  getInputTensorIds(t: tf.Tensor[]): number[];
  createOutputTensor(h: unknown): tf.Tensor;
};
const binding = node.binding;
const typeAttr = (name: string, value: number) => ({name, type: binding.TF_ATTR_TYPE, value});
const castAttrs = (src: number, dst: number) => [
  typeAttr('SrcT', src),
  typeAttr('DstT', dst),
  {name: 'Truncate', type: binding.TF_ATTR_BOOL, value: false},
];

const n = smoke ? 256 : 4096;
const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
/** a and b cast once to the format: the MatMul without the input Casts. */
function preCast(format: FormatName): number[] {
  const dtype = TF_DTYPES[format]!;
  return node
    .getInputTensorIds([a, b])
    .map((id) => binding.executeOp('Cast', castAttrs(binding.TF_FLOAT, dtype), [id], 1)[0]!.id);
}
const pre = {float16: preCast('float16'), bfloat16: preCast('bfloat16')};
/** MatMul in the format on pre-cast inputs, result cast back to float32 (as tf.matMul's is). */
function matMulOnly(format: 'float16' | 'bfloat16'): () => tf.Scalar {
  const dtype = TF_DTYPES[format]!;
  return () => {
    const y16 = binding.executeOp('MatMul', [typeAttr('T', dtype)], pre[format], 1)[0]!;
    const y32 = binding.executeOp('Cast', castAttrs(dtype, binding.TF_FLOAT), [y16.id], 1)[0]!;
    binding.deleteTensor(y16.id);
    return tf.tidy(() => {
      const y = node.createOutputTensor(y32);
      return y.slice([0, 0], [1, 1]).reshape([]) as tf.Scalar;
    });
  };
}
/** tf.matMul, in float32 or inside withComputeFormat (Cast a, Cast b, MatMul, Cast back). */
function matMulIn(format: FormatName | null): () => tf.Scalar {
  return () =>
    tf.tidy(() => {
      const y = format == null ? tf.matMul(a, b) : withComputeFormat(format, () => tf.matMul(a, b));
      return y.slice([0, 0], [1, 1]).reshape([]) as tf.Scalar;
    });
}
const matmul = await measure(
  `MatMul ${n}×${n}`,
  [
    {name: 'float32 (TF32 where TF allows it)', run: matMulIn(null)},
    {name: 'mixed_float16: Cast in, MatMul, Cast out', run: matMulIn('float16')},
    {name: 'mixed_bfloat16: Cast in, MatMul, Cast out', run: matMulIn('bfloat16')},
    {name: 'float16 MatMul alone (inputs pre-cast)', run: matMulOnly('float16')},
    {name: 'bfloat16 MatMul alone (inputs pre-cast)', run: matMulOnly('bfloat16')},
  ],
  smoke ? 2 : 20,
  2 * n ** 3,
);
for (const id of [...pre.float16, ...pre.bfloat16]) binding.deleteTensor(id);
tf.dispose([a, b]);

// --- MLP training steps -------------------------------------------------------------------------
interface Mlp {
  readonly name: string;
  readonly features: number;
  readonly hidden: number;
  readonly batch: number;
}
const W1: Mlp = smoke
  ? {name: 'W1 (smoke: 784-64-64-10, batch 32)', features: 784, hidden: 64, batch: 32}
  : {name: 'W1: MLP 784-1024-1024-10, batch 256', features: 784, hidden: 1024, batch: 256};
const W4: Mlp = smoke
  ? {name: 'W4 (smoke: 1024-128-128-10, batch 32)', features: 1024, hidden: 128, batch: 32}
  : {name: 'W4: MLP 1024-4096-4096-10, batch 512', features: 1024, hidden: 4096, batch: 512};

/** Multiply-adds of one training step (forward, input and weight gradients): 3 × 2 × batch × params. */
function stepFlops(w: Mlp): number {
  const macs = w.features * w.hidden + w.hidden * w.hidden + w.hidden * 10;
  return 3 * 2 * w.batch * macs;
}

async function trainingSteps(w: Mlp): Promise<Row[]> {
  const init = (seed: number) => tf.initializers.glorotUniform({seed});
  const xs = tf.randomNormal([w.batch, w.features], 0, 1, 'float32', 3);
  const labels = tf.tidy(() =>
    tf.oneHot(tf.randomUniform([w.batch], 0, 10, 'int32', 4) as tf.Tensor1D, 10),
  );
  const cleanup: Array<() => void> = [];
  const variant = (name: string, format: FormatName | null): Variant => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({
          inputShape: [w.features],
          units: w.hidden,
          activation: 'relu',
          kernelInitializer: init(1),
        }),
        tf.layers.dense({units: w.hidden, activation: 'relu', kernelInitializer: init(2)}),
        tf.layers.dense({units: 10, kernelInitializer: init(3)}),
      ],
    });
    const optimizer = tf.train.sgd(0.01);
    const undo = format == null ? () => {} : applyMixed(model, format, true);
    const loss = (): tf.Scalar =>
      tf.losses
        .softmaxCrossEntropy(labels, model.apply(xs, {training: true}) as tf.Tensor)
        .asScalar();
    cleanup.push(() => {
      undo();
      model.dispose();
      optimizer.dispose();
    });
    return {name, run: () => optimizer.minimize(loss, true) as tf.Scalar};
  };
  const rows = await measure(
    `${w.name}, SGD step (forward, backward, update)`,
    [
      variant('float32 (TF32 where TF allows it)', null),
      variant('mixed_float16', 'float16'),
      variant('mixed_bfloat16', 'bfloat16'),
    ],
    smoke ? 1 : 5,
    stepFlops(w),
  );
  for (const c of cleanup) c();
  tf.dispose([xs, labels]);
  return rows;
}
const w1 = await trainingSteps(W1);
const w4 = await trainingSteps(W4);

// Tensors the benchmark left behind (0 unless a variant leaks; the kernels' own caches excluded
// where they were built before the start).
const tensorsLeft = tf.memory().numTensors - tensorsAtStart;
mkdirSync(dirname(out), {recursive: true});
writeFileSync(
  out,
  `${JSON.stringify(
    {
      subject: 'tensorflow-gpu',
      smoke,
      machine,
      native,
      options: {rounds, warmup, matmulSize: n, w1: W1, w4: W4},
      matmul,
      w1,
      w4,
      tensorsLeft,
    },
    null,
    2,
  )}\n`,
);
console.log(`\nwrote ${out}`);
