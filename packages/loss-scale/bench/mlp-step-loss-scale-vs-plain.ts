// Step time of an MLP on wasm with and without LossScaleOptimizer, alternating after the same
// warm-up. Target: the wrapper costs at most 5% (≤ 1.05×).
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
  const variants = [
    variant('adam', tf.train.adam(1e-3), x, y),
    variant('LossScaleOptimizer(adam)', new LossScaleOptimizer(tf.train.adam(1e-3)), x, y),
    variant(
      'LossScaleOptimizer(adam) + globalClipNorm',
      new LossScaleOptimizer(tf.train.adam(1e-3), {globalClipNorm: 1}),
      x,
      y,
    ),
  ];
  const warmup = quick ? 3 : 30;
  const rounds = quick ? 10 : 600;
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
  const [base, wrapped, clipped] = variants as [Variant, Variant, Variant];
  const table = compareRuns({
    subject: 'mlp-step-loss-scale-vs-plain',
    title:
      `MLP ${INPUTS}-${HIDDEN}-${HIDDEN}-${CLASSES}, batch ${BATCH}, softmax cross-entropy, ` +
      `optimizer.minimize step: wall time per step over ${rounds} rotating rounds ` +
      `(one step of each variant per round) after ${warmup} warm-up steps each`,
    baseline: base.series,
    candidates: [{series: wrapped.series, target: 1.05}, {series: clipped.series}],
    better: 'lower',
    notes: [
      'CPU ms/step is the process CPU time (all threads, GC included) over all steps, divided by',
      'the steps: steadier than wall time on a machine shared with other work.',
      'The wrapper adds per step: the loss multiply, unscale + overflow check on every gradient and',
      'one scalar read (dataSync); + globalClipNorm adds the squared norms and the clip multiply.',
    ],
  });
  tf.dispose([x, y]);
  return table;
}
