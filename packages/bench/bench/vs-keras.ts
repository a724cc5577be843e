// tfjs-amp on tfjs-node against Keras 3 (TensorFlow backend) on the same machine: W1/W4 training
// steps (Adam) under float32 and mixed_bfloat16, in alternating rounds (tfjs-amp's steps in this
// process, Keras's in a Python child, one after the other), so both see the same machine load.
// Keras runs from `TFJS_AMP_PYTHON` (default `python3`) with `keras` and `tensorflow` importable:
//   python3 -m venv /tmp/k && /tmp/k/bin/pip install tensorflow-cpu==2.21.0
//   TFJS_AMP_PYTHON=/tmp/k/bin/python npm run bench:keras -w @tfjs-amp/bench -- w1
// Env: ROUNDS (default 4), STEPS per round, RUNS (default 1): the whole measurement repeated, each
// run's medians and ratios kept, and the median of the runs' ratios reported (a shared machine's
// load drifts between runs more than within one). Writes bench/results/vs-keras-<workload>.json.
import {execFileSync} from 'node:child_process';
import {mkdirSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import * as tf from '@tensorflow/tfjs';
import {cpuFeatures, nativeBackendInfo} from '@tfjs-amp/kernels';
import {fuseOptimizer} from '@tfjs-amp/optimizers';
import {applyPolicy} from '@tfjs-amp/policy';
import {w1Workload, w4Workload} from '../src/index.js';

await import('@tensorflow/tfjs-node' as string);
await tf.setBackend('tensorflow');

const here = dirname(fileURLToPath(import.meta.url));
const workload = process.argv[2] ?? 'w1';
// The bench's own W1 and W4 (Dense 784-1024-1024-10 at batch 256, 1024-4096-4096-10 at 512);
// tools/peers/keras_step.py builds the same models.
const built = {w1: w1Workload, w4: w4Workload}[workload];
if (built == null) throw new Error(`vs-keras: workload must be w1 or w4; got ${workload}`);
const batch = built.batchSize!;
const rounds = Number(process.env.ROUNDS ?? 4);
const runCount = Number(process.env.RUNS ?? 1);
const steps = Number(process.env.STEPS ?? (workload === 'w1' ? 12 : 4));
const python = process.env.TFJS_AMP_PYTHON ?? 'python3';
const POLICIES = ['float32', 'mixed_bfloat16'] as const;

async function model(policy: string): Promise<tf.LayersModel> {
  const m = await built!.buildModel(0);
  if (policy !== 'float32') applyPolicy(m, policy as 'mixed_bfloat16');
  m.compile({optimizer: fuseOptimizer(tf.train.adam(1e-3)), loss: 'categoricalCrossentropy'});
  return m;
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
};
const models = Object.fromEntries(
  await Promise.all(POLICIES.map(async (p) => [p, await model(p)] as const)),
);
const inputSize = models.float32!.inputs[0]!.shape[1]!;
const x = tf.randomNormal([batch, inputSize], 0, 1, 'float32', 1);
const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 2), 10).toFloat();
for (const m of Object.values(models)) for (let i = 0; i < 3; i++) await m.trainOnBatch(x, y);

let keras = 'unavailable';

/** One run: alternating rounds of every policy, tfjs-amp then Keras; the median step per key. */
async function measure(): Promise<Record<string, number>> {
  const times: Record<string, number[]> = {};
  const add = (key: string, v: number[]) => {
    times[key] = [...(times[key] ?? []), ...v];
  };
  for (let round = 0; round < rounds; round++) {
    for (const policy of POLICIES) {
      const t: number[] = [];
      for (let i = 0; i < steps; i++) {
        const start = performance.now();
        await models[policy]!.trainOnBatch(x, y);
        t.push(performance.now() - start);
      }
      add(`tfjs-amp ${policy}`, t);
      try {
        const out = execFileSync(
          python,
          [
            join(here, '../../../tools/peers/keras_step.py'),
            '--workload',
            workload,
            '--policy',
            policy,
            '--steps',
            String(steps),
          ],
          {
            encoding: 'utf8',
            env: {...process.env, TF_CPP_MIN_LOG_LEVEL: '3'},
            stdio: ['ignore', 'pipe', 'ignore'],
          },
        );
        const r = JSON.parse(out.trim().split('\n').at(-1)!);
        keras = `Keras ${r.keras} / TF ${r.tensorflow}`;
        add(`keras ${policy}`, r.step_ms);
      } catch (err) {
        if (round === 0 && policy === 'float32') {
          console.error(
            `vs-keras: Keras did not run from ${python} (${(err as Error).message.split('\n')[0]}); tfjs-amp only.`,
          );
        }
      }
    }
  }
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}

/** The ratios of one run's medians (lower is faster). */
function ratiosOf(summary: Record<string, number>): Record<string, number | null> {
  const ratio = (a: string, b: string) =>
    summary[a] != null && summary[b] != null ? summary[a]! / summary[b]! : null;
  return {
    'tfjs-amp mixed_bfloat16 / float32': ratio('tfjs-amp mixed_bfloat16', 'tfjs-amp float32'),
    'keras mixed_bfloat16 / float32': ratio('keras mixed_bfloat16', 'keras float32'),
    'tfjs-amp float32 / keras float32': ratio('tfjs-amp float32', 'keras float32'),
    'tfjs-amp mixed_bfloat16 / keras mixed_bfloat16': ratio(
      'tfjs-amp mixed_bfloat16',
      'keras mixed_bfloat16',
    ),
  };
}

const runs: {medianStepMs: Record<string, number>; ratios: Record<string, number | null>}[] = [];
for (let run = 0; run < runCount; run++) {
  const medianStepMs = await measure();
  runs.push({medianStepMs, ratios: ratiosOf(medianStepMs)});
  if (runCount > 1)
    console.log(`run ${run + 1}/${runCount}: ${JSON.stringify(runs.at(-1)!.ratios)}`);
}
/** Per key, the median over the runs (of step medians or of ratios). */
const medianOfRuns = (pick: (r: (typeof runs)[number]) => Record<string, number | null>) =>
  Object.fromEntries(
    Object.keys(pick(runs[0]!))
      .filter((k) => runs.every((r) => pick(r)[k] != null))
      .map((k) => [k, median(runs.map((r) => pick(r)[k]!))]),
  );
const cpu = cpuFeatures();
const report = {
  workload,
  batch,
  date: new Date().toISOString(),
  machine: `${cpu.model} [${cpu.flags.join(' ')}], ${(await import('node:os')).cpus().length} cores`,
  tfjsNode: `TF ${nativeBackendInfo()?.tensorflowVersion}`,
  keras,
  rounds,
  stepsPerRound: steps,
  runs: runCount,
  // With one run, its medians and ratios; with several, the median over the runs of each.
  medianStepMs: medianOfRuns((r) => r.medianStepMs),
  ratios: medianOfRuns((r) => r.ratios),
  ...(runCount > 1 ? {perRun: runs} : {}),
};
console.log(JSON.stringify(report, null, 2));
mkdirSync(join(here, 'results'), {recursive: true});
writeFileSync(
  join(here, 'results', `vs-keras-${workload}.json`),
  `${JSON.stringify(report, null, 2)}\n`,
);
tf.dispose([x, y]);
