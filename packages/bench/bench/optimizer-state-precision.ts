// AdamW with 16-bit optimizer state against float32 state on the bench's own workloads: held-out
// accuracy and state bytes (issue #12: bf16 state halves the state bytes and ends within 0.5 pp
// of float32 state). Same initial weights and batch order for every configuration; each trains
// with AdamW (@tfjs-amp/optimizers) under the float32 policy, so only the state storage differs.
// Run: `npx tsx --conditions=@tfjs-amp/source bench/optimizer-state-precision.ts [backend] [epochs]`
// (default tensorflow, 3). Writes bench/results/optimizer-state-precision.json. Not a timing run.
import {mkdirSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tfjs-amp/kernels';
import {type AdamWOptions, adamw, stateBytes} from '@tfjs-amp/optimizers';
import {BUILT_IN_WORKLOADS} from '../src/workloads/index.js';

const backend = process.argv[2] ?? 'tensorflow';
const epochs = Number(process.argv[3] ?? 3);
if (backend === 'tensorflow') await import('@tensorflow/tfjs-node' as string);
if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm' as string);
await tf.setBackend(backend);

const WORKLOADS = ['mlp', 'cnn', 'transformer'];
const CONFIGS: [string, AdamWOptions][] = [
  ['float32 state', {}],
  ['bfloat16 state, nearest', {stateFormat: 'bfloat16'}],
  ['bfloat16 state, stochastic', {stateFormat: 'bfloat16', stateRounding: 'stochastic', seed: 1}],
];

const rows: Record<string, unknown>[] = [];
for (const name of WORKLOADS) {
  const workload = BUILT_IN_WORKLOADS[name]!;
  const data = await workload.loadData({trainSize: 4000, testSize: 2000, seed: 0});
  const batchSize = workload.batchSize ?? 64;
  let baseline: number | null = null;
  for (const [label, options] of CONFIGS) {
    const model = await workload.buildModel(0);
    const optimizer = adamw({learningRate: workload.learningRate, ...options});
    model.compile({optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy']});
    await model.fit(data.xTrain, data.yTrain, {epochs, batchSize, shuffle: false, verbose: 0});
    const [, acc] = model.evaluate(data.xTest, data.yTest, {batchSize: 500}) as tf.Scalar[];
    const accuracy = (await acc!.data())[0]! * 100;
    // Adam's two moments per weight, at the storage width (tfjs keeps float32 tensors).
    const bytes = {
      stateBytes: stateBytes(model.countParams(), 2, options.stateFormat ?? 'float32'),
    };
    baseline ??= accuracy;
    const row = {workload: name, state: label, accuracy, deltaPp: accuracy - baseline, ...bytes};
    rows.push(row);
    console.log(
      `${name.padEnd(12)} ${label.padEnd(28)} acc ${accuracy.toFixed(2)}% ` +
        `(${(accuracy - baseline >= 0 ? '+' : '') + (accuracy - baseline).toFixed(2)} pp) ` +
        `state ${JSON.stringify(bytes)}`,
    );
    model.dispose();
    optimizer.dispose();
  }
  tf.dispose([data.xTrain, data.yTrain, data.xTest, data.yTest]);
}
const here = dirname(fileURLToPath(import.meta.url));
mkdirSync(join(here, 'results'), {recursive: true});
writeFileSync(
  join(here, 'results', 'optimizer-state-precision.json'),
  `${JSON.stringify({date: new Date().toISOString(), backend, epochs, rows}, null, 2)}\n`,
);
