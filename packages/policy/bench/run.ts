// Step time of mixed_float16 against float32, side by side in one run, on the wasm backend.
// Run: npm run bench -w @tfjs-amp/policy   (or: npx nx run @tfjs-amp/policy:bench)
// Short run for CI: BENCH_QUICK=1.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {applyPolicy} from '@tfjs-amp/policy';
import {
  type ComparisonRow,
  compareRuns,
  formatComparisons,
  reportComparisons,
} from '@tfjs-amp/test-utils';

const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = QUICK ? 2 : Number(process.env.BENCH_ROUNDS ?? 10);
const STEPS = QUICK ? 1 : 3;
const WARMUP = QUICK ? 1 : 3;
const TARGET = 1.15;

/** Two copies of one model with the same weights: one plain float32, one under mixed_float16. */
function pair(build: () => tf.LayersModel, compile: (m: tf.LayersModel) => void) {
  const float32 = build();
  const mixed = build();
  mixed.setWeights(float32.getWeights().map((w) => w.clone()));
  applyPolicy(mixed, 'mixed_float16');
  compile(float32);
  compile(mixed);
  return {float32, mixed};
}

function mlp(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.dense({units: 512, activation: 'relu', inputShape: [784]}),
      tf.layers.dense({units: 512, activation: 'relu'}),
      tf.layers.dense({units: 10, activation: 'softmax'}),
    ],
  });
}

function cnn(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({filters: 16, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1]}),
      tf.layers.maxPooling2d({poolSize: 2}),
      tf.layers.conv2d({filters: 32, kernelSize: 3, activation: 'relu'}),
      tf.layers.maxPooling2d({poolSize: 2}),
      tf.layers.flatten(),
      tf.layers.dense({units: 10, activation: 'softmax'}),
    ],
  });
}

const adam = (m: tf.LayersModel) =>
  m.compile({optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy'});

function batch(shape: number[]): {x: tf.Tensor; y: tf.Tensor} {
  const x = tf.randomNormal(shape, 0, 1, 'float32', 1);
  const y = tf.tidy(() =>
    tf.oneHot(tf.randomUniform([shape[0]!], 0, 10, 'int32', 2), 10).toFloat(),
  );
  return {x, y};
}

/** Prints one comparison and writes bench/results/<name>.json. */
function report(row: ComparisonRow): void {
  reportComparisons({
    subject: row.name,
    title: `${row.name}: ${row.unit}; ${ROUNDS} alternating rounds, median time per call`,
    rows: [row],
    resultsDir: new URL('./results/', import.meta.url),
  });
}

async function trainStep(name: string, what: string, build: () => tf.LayersModel, shape: number[]) {
  const {float32, mixed} = pair(build, adam);
  const {x, y} = batch(shape);
  const result = await compareRuns({
    name,
    unit: what,
    baseline: {name: 'float32', run: () => float32.trainOnBatch(x, y)},
    candidate: {name: 'mixed_float16', run: () => mixed.trainOnBatch(x, y)},
    warmup: WARMUP,
    rounds: ROUNDS,
    callsPerRound: STEPS,
    target: TARGET,
  });
  report(result);
  tf.dispose([x, y]);
  float32.dispose();
  mixed.dispose();
  return result;
}

async function predictStep(
  name: string,
  what: string,
  build: () => tf.LayersModel,
  shape: number[],
) {
  const {float32, mixed} = pair(build, adam);
  const {x, y} = batch(shape);
  const predict = (m: tf.LayersModel) => () => {
    const out = m.predict(x) as tf.Tensor;
    out.dataSync();
    out.dispose();
  };
  const result = await compareRuns({
    name,
    unit: what,
    baseline: {name: 'float32', run: predict(float32)},
    candidate: {name: 'mixed_float16', run: predict(mixed)},
    warmup: WARMUP,
    rounds: ROUNDS,
    callsPerRound: STEPS * 3,
    target: TARGET,
  });
  report(result);
  tf.dispose([x, y]);
  float32.dispose();
  mixed.dispose();
  return result;
}

await tf.setBackend('wasm');
await tf.ready();
const results: ComparisonRow[] = [];
results.push(
  await trainStep(
    'mlp-step-mixed-vs-float32',
    'MLP 784-512-512-10 train step (trainOnBatch, Adam), batch 128, wasm',
    mlp,
    [128, 784],
  ),
);
// tfjs-backend-wasm has no Conv2DBackpropFilter; @tfjs-amp/kernels registers one. Without it,
// CNN training cannot run on wasm, and only the forward pass is measured there.
const canTrainConv = tf.getKernel('Conv2DBackpropFilter', 'wasm') != null;
if (canTrainConv) {
  results.push(
    await trainStep(
      'cnn-step-mixed-vs-float32',
      'CNN conv16-pool-conv32-pool-dense10 train step (trainOnBatch, Adam), batch 64, 28×28×1, wasm',
      cnn,
      [64, 28, 28, 1],
    ),
  );
} else {
  console.log('\nwasm has no Conv2DBackpropFilter kernel here: CNN training skipped on wasm.');
}
results.push(
  await predictStep(
    'cnn-predict-mixed-vs-float32',
    'CNN conv16-pool-conv32-pool-dense10 predict, batch 64, 28×28×1, wasm',
    cnn,
    [64, 28, 28, 1],
  ),
);

console.log(
  `\n${formatComparisons('mixed_float16 vs float32 on wasm, time per call (lower is faster)', results)}`,
);
