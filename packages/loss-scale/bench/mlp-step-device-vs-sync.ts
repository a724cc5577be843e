// Step time of an MLP on wasm with LossScaleOptimizer in 'device' mode (no read back per step:
// check, skip and scale update on the device) against 'sync' mode (one scalar read per step),
// alternating after the same warm-up. Target: 'device' costs at most 5% more (≤ 1.05×).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {LossScaleOptimizer} from '@tfjs-amp/loss-scale';
import {compareRuns, type Series} from './internal/compare-runs.js';

const INPUTS = 128;
const HIDDEN = 256;
const CLASSES = 10;
const BATCH = 64;

function mlp(): tf.Sequential {
  const dense = (
    units: number,
    seed: number,
    activation: 'relu' | 'softmax',
    inputShape?: number[],
  ) =>
    tf.layers.dense({
      units,
      activation,
      kernelInitializer: tf.initializers.glorotUniform({seed}),
      ...(inputShape ? {inputShape} : {}),
    });
  return tf.sequential({
    layers: [
      dense(HIDDEN, 1, 'relu', [INPUTS]),
      dense(HIDDEN, 2, 'relu'),
      dense(CLASSES, 3, 'softmax'),
    ],
  });
}

interface Variant {
  series: Series;
  step: () => void;
}

function variant(name: string, optimizer: tf.Optimizer, x: tf.Tensor, y: tf.Tensor): Variant {
  const model = mlp();
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const loss = () => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar;
  return {
    series: {name, stepMs: []},
    step: () => tf.dispose(optimizer.minimize(loss, true, vars)!),
  };
}

/** Runs the benchmark; `quick` shortens it for smoke runs. */
export async function run(quick = false): Promise<string> {
  if (!(await tf.setBackend('wasm'))) throw new Error('bench: the wasm backend failed to start');
  await tf.ready();
  const x = tf.randomNormal([BATCH, INPUTS], 0, 1, 'float32', 7);
  const y = tf.oneHot(tf.randomUniform([BATCH], 0, CLASSES, 'int32', 8), CLASSES);
  const lso = (mode: 'sync' | 'device', clip?: number) =>
    new LossScaleOptimizer(tf.train.adam(1e-3), {mode, ...(clip ? {globalClipNorm: clip} : {})});
  const variants = [
    variant("LossScaleOptimizer(adam) 'sync'", lso('sync'), x, y),
    variant("LossScaleOptimizer(adam) 'device'", lso('device'), x, y),
    variant("LossScaleOptimizer(adam) 'sync' + globalClipNorm", lso('sync', 1), x, y),
    variant("LossScaleOptimizer(adam) 'device' + globalClipNorm", lso('device', 1), x, y),
  ];
  const warmup = quick ? 3 : 30;
  const rounds = quick ? 10 : Number(process.env.BENCH_ROUNDS ?? 400);
  for (const v of variants) for (let i = 0; i < warmup; i++) v.step();
  const cpuUs = variants.map(() => 0);
  for (let r = 0; r < rounds; r++) {
    // One step of each variant per round, in an order that rotates, so drifts in machine load and
    // garbage collection hit every variant alike.
    for (let k = 0; k < variants.length; k++) {
      const j = (r + k) % variants.length;
      const v = variants[j]!;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      v.step();
      v.series.stepMs.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpuUs[j]! += c.user + c.system;
    }
  }
  variants.forEach((v, j) => {
    v.series.cpuMsPerStep = cpuUs[j]! / 1000 / rounds;
  });
  const [sync, device, syncClip, deviceClip] = variants as [Variant, Variant, Variant, Variant];
  const table = compareRuns({
    subject: 'mlp-step-device-vs-sync',
    title:
      `MLP ${INPUTS}-${HIDDEN}-${HIDDEN}-${CLASSES}, batch ${BATCH}, softmax cross-entropy, ` +
      `optimizer.minimize step: wall time per step over ${rounds} rotating rounds ` +
      `(one step of each variant per round) after ${warmup} warm-up steps each`,
    baseline: sync.series,
    candidates: [
      {series: device.series, target: 1.05},
      {series: syncClip.series},
      {series: deviceClip.series},
    ],
    better: 'lower',
    notes: [
      'CPU ms/step is the process CPU time (all threads, GC included) over all steps, divided by',
      "the steps: steadier than wall time on a machine shared with other work. 'device' adds per",
      'step the exact check (sum(u * 0) per gradient, instead of the quick sum(u) that a read',
      'confirms), a pick of the old or new buffer for every variable and slot the inner optimizer',
      'assigned (AmpSelectByFlag: no copy on wasm) and the scale rule in one kernel',
      "(AmpLossScaleUpdate); it saves the read. 'auto' keeps wasm in 'sync' mode.",
    ],
  });
  tf.dispose([x, y]);
  return table;
}
