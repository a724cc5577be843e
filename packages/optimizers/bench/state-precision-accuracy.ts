// Accuracy and state bytes of AdamW with 16-bit optimizer state (and pure bfloat16 weights)
// against float32 state, on a small classifier. Synthetic data with a learnable rule (no dataset
// package needed): 4 classes, label = argmax of a fixed random linear map of 20 features; 4000 train / 2000 held-out examples, MLP 20-64-64-4, same initial weights
// and batch order for every configuration. Target: within 0.5 pp of float32 state.
// Run: `npx tsx --conditions=@tfjs-amp/source bench/state-precision-accuracy.ts` in
// packages/optimizers (cpu backend, deterministic; not a timing run). `--quick` for fewer epochs.
import '@tfjs-amp/kernels';
import {mkdirSync, writeFileSync} from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import {type AdamWOptions, adamw, stateBytes} from '@tfjs-amp/optimizers';
import {machineLine} from '../../loss-scale/bench/internal/compare-runs.js';

const FEATURES = 20;
const CLASSES = 4;
const TARGET_PP = 0.5;

function makeData(n: number, seed: number): {x: tf.Tensor2D; y: tf.Tensor2D} {
  return tf.tidy(() => {
    const x = tf.randomNormal([n, FEATURES], 0, 1, 'float32', seed) as tf.Tensor2D;
    const w = tf.randomNormal([FEATURES, CLASSES], 0, 1, 'float32', 42);
    const logits = tf.matMul(x, w);
    const y = tf.oneHot(tf.argMax(logits, 1), CLASSES).toFloat() as tf.Tensor2D;
    return {x, y};
  });
}

function makeModel(): tf.Sequential {
  const init = (seed: number) => tf.initializers.glorotUniform({seed});
  return tf.sequential({
    layers: [
      tf.layers.dense({
        units: 64,
        activation: 'relu',
        inputShape: [FEATURES],
        kernelInitializer: init(1),
      }),
      tf.layers.dense({units: 64, activation: 'relu', kernelInitializer: init(2)}),
      tf.layers.dense({units: CLASSES, activation: 'softmax', kernelInitializer: init(3)}),
    ],
  });
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const epochs = quick ? 3 : 10;
  await tf.setBackend('cpu');
  const train = makeData(4000, 1);
  const test = makeData(2000, 2);
  const configs: [string, AdamWOptions][] = [
    ['float32 state', {}],
    ['bfloat16 state, nearest', {stateFormat: 'bfloat16'}],
    ['bfloat16 state, stochastic', {stateFormat: 'bfloat16', stateRounding: 'stochastic', seed: 1}],
    ['float16 state, nearest', {stateFormat: 'float16'}],
    [
      'bfloat16 state + bfloat16 weights, stochastic',
      {
        stateFormat: 'bfloat16',
        stateRounding: 'stochastic',
        weightFormat: 'bfloat16',
        weightRounding: 'stochastic',
        seed: 1,
      },
    ],
    ['float32 state + bfloat16 weights, nearest', {weightFormat: 'bfloat16'}],
  ];
  const rows: {name: string; stateBytes: number; accuracy: number; loss: number}[] = [];
  let params = 0;
  for (const [name, options] of configs) {
    const model = makeModel();
    params = model.countParams();
    const optimizer = adamw({learningRate: 3e-3, weightDecay: 0.004, ...options});
    model.compile({optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy']});
    // Pure bfloat16 weights: start from bfloat16-rounded initial weights too.
    if (options.weightFormat === 'bfloat16') {
      const {quantize} = await import('@tfjs-amp/kernels');
      model.setWeights(model.getWeights().map((w) => quantize(w, 'bfloat16')));
    }
    await tf.setBackend('cpu');
    const h = await model.fit(train.x, train.y, {
      epochs,
      batchSize: 64,
      shuffle: false,
      verbose: 0,
    });
    const [, acc] = model.evaluate(test.x, test.y, {batchSize: 500}) as tf.Scalar[];
    rows.push({
      name,
      stateBytes: stateBytes(params, 2, options.stateFormat ?? 'float32'),
      accuracy: acc!.dataSync()[0]!,
      loss: h.history.loss!.at(-1) as number,
    });
    model.dispose();
    optimizer.dispose();
  }
  const base = rows[0]!;
  const lines = [
    machineLine(),
    '',
    `MLP 20-64-64-4 (${params.toLocaleString('en-US')} params), AdamW lr 3e-3, ${epochs} epochs of 63 steps (batch 64), synthetic 4-class linear rule, 2000 held-out examples (one example = 0.05 pp; sampling SE of an accuracy a: sqrt(a(1−a)/2000))`,
    '',
    '| configuration | state bytes (16-bit where stored 16-bit) | vs float32 | train loss | held-out acc | Δ acc | within 0.5 pp |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows.map((r) => {
      const dpp = (r.accuracy - base.accuracy) * 100;
      return `| ${r.name} | ${r.stateBytes.toLocaleString('en-US')} | ${(r.stateBytes / base.stateBytes).toFixed(2)}× | ${r.loss.toFixed(4)} | ${(r.accuracy * 100).toFixed(2)}% | ${dpp >= 0 ? '+' : '−'}${Math.abs(dpp).toFixed(2)} pp | ${Math.abs(dpp) <= TARGET_PP ? 'yes' : 'NO'} |`;
    }),
    '',
    'State bytes are what the two moments take when stored at the listed width; tfjs has no 16-bit dtype, so in tfjs memory they stay float32 tensors holding 16-bit values.',
  ];
  console.log(lines.join('\n'));
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, {recursive: true});
  writeFileSync(
    new URL('state-precision-accuracy.json', dir),
    `${JSON.stringify({subject: 'state-precision-accuracy', machine: machineLine(), epochs, params, rows}, null, 2)}\n`,
  );
  tf.dispose([train.x, train.y, test.x, test.y]);
}

await main();
