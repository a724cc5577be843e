// One training epoch (model.fit, 100 batches) of a mixed_float16 MLP with a LossScaleOptimizer:
// all seven callbacks (numericsMonitor sampling every 50 batches; precisionSchedule switching to
// mixed_bfloat16 at batch 50 and back at batch 99, so two real switches per epoch and the epoch
// ends in mixed_float16; precisionRule with the loss-threshold preset, judged every epoch) against no callback.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {
  ampProgress,
  lossScaleMonitor,
  lossThresholdRule,
  numericsMonitor,
  precisionFallback,
  precisionRule,
  precisionSchedule,
  terminateOnNaN,
} from '@tfjs-amp/callbacks';
import {LossScaleOptimizer} from '@tfjs-amp/loss-scale';
import {applyPolicy} from '@tfjs-amp/policy';
import {compareRuns, reportComparisons} from '@tfjs-amp/test-utils';

const FEATURES = 64;
const HIDDEN = 256;
const CLASSES = 10;
const BATCH = 64;
const BATCHES = 100;

function mlp(seed: number): tf.Sequential {
  const init = (s: number) => tf.initializers.glorotUniform({seed: s});
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        units: HIDDEN,
        inputShape: [FEATURES],
        activation: 'relu',
        kernelInitializer: init(seed),
      }),
      tf.layers.dense({units: HIDDEN, activation: 'relu', kernelInitializer: init(seed + 1)}),
      tf.layers.dense({units: CLASSES, activation: 'softmax', kernelInitializer: init(seed + 2)}),
    ],
  });
  applyPolicy(model, 'mixed_float16');
  model.compile({
    optimizer: new LossScaleOptimizer(tf.train.adam(1e-3)),
    loss: 'categoricalCrossentropy',
  });
  return model;
}

export async function run(quick = false, rounds?: number): Promise<string> {
  await tf.setBackend('wasm');
  await tf.ready();
  const samples = BATCH * BATCHES;
  const x = tf.randomNormal([samples, FEATURES], 0, 1, 'float32', 1);
  const labels = tf.randomUniform([samples], 0, CLASSES, 'int32', 2);
  const y = tf.oneHot(labels, CLASSES).toFloat();
  labels.dispose();
  // One model for both sides, so that nothing but the callbacks differs between them.
  const model = mlp(10);
  const sink = {write: () => true, isTTY: false};
  const callbacks = () => [
    terminateOnNaN(),
    lossScaleMonitor(),
    // Before numericsMonitor (as the README says): a switch then precedes the sample's probes.
    precisionSchedule(
      [
        {step: 0, policy: 'mixed_float16'},
        {step: 50, policy: 'mixed_bfloat16'},
        {step: 99, policy: 'mixed_float16'},
      ],
      {model, log: null},
    ),
    // The loss-threshold preset, judged once per epoch (the default); it keeps mixed_float16.
    precisionRule(lossThresholdRule({threshold: 0, above: 'mixed_float16'}), {model, log: null}),
    numericsMonitor({every: 50}),
    precisionFallback({model}),
    ampProgress({stream: sink}),
  ];
  const epoch = (cbs: Array<tf.Callback | tf.CustomCallback>) => () =>
    model.fit(x, y, {epochs: 1, batchSize: BATCH, shuffle: false, verbose: 0, callbacks: cbs});
  const result = await compareRuns({
    name: 'epoch-monitors-vs-none',
    unit: `epoch, ${BATCHES} batches of ${BATCH}, MLP ${FEATURES}-${HIDDEN}-${HIDDEN}-${CLASSES}, mixed_float16 + LossScaleOptimizer(adam)`,
    baseline: {name: 'no callbacks', run: () => epoch([])()},
    candidate: {name: 'all 7 (numerics every 50, 2 switches)', run: () => epoch(callbacks())()},
    warmup: quick ? 1 : 2,
    rounds: rounds ?? (quick ? 2 : 12),
    target: 1.05,
  });
  reportComparisons({
    subject: 'epoch-monitors-vs-none',
    title: `epoch-monitors-vs-none: ${result.unit}; ${result.baseline.samples} alternating (ABBA) rounds, median time per epoch`,
    rows: [result],
    resultsDir: new URL('./results/', import.meta.url),
  });
  await breakdown(callbacks(), (cbs) => epoch(cbs)(), quick ? 1 : 3);
  tf.dispose([x, y]);
  model.dispose();
  return result.meetsTarget ? 'ok' : 'missed';
}

/**
 * Where the candidate's extra time goes, measured in a separate instrumented run (noise from
 * other processes hits the ABBA ratio; these are direct timings): each callback's own time per
 * epoch (its hooks, awaits included), and the sampled batches' time against the median batch.
 */
async function breakdown(
  callbacks: tf.Callback[],
  runEpoch: (cbs: Array<tf.Callback | tf.CustomCallback>) => Promise<unknown>,
  epochs: number,
): Promise<void> {
  const hooks = [
    'onTrainBegin',
    'onEpochBegin',
    'onBatchBegin',
    'onBatchEnd',
    'onEpochEnd',
    'onTrainEnd',
  ] as const;
  const selfMs = new Map<string, number>();
  for (const cb of callbacks) {
    const name = cb.constructor.name;
    selfMs.set(name, 0);
    for (const hook of hooks) {
      const original = cb[hook].bind(cb);
      Object.defineProperty(cb, hook, {
        value: async (...args: unknown[]) => {
          const t0 = performance.now();
          await (original as (...a: unknown[]) => Promise<void>)(...args);
          selfMs.set(name, selfMs.get(name)! + performance.now() - t0);
        },
        configurable: true,
      });
    }
  }
  const batchMs: number[] = [];
  let t0 = 0;
  const clock = new tf.CustomCallback({
    onBatchBegin: async () => {
      t0 = performance.now();
    },
    onBatchEnd: async () => {
      batchMs.push(performance.now() - t0);
    },
  });
  // The clock goes first, so a batch's time includes every callback's hooks for that batch.
  for (let e = 0; e < epochs; e++) await runEpoch([clock, ...callbacks]);
  const sampled = batchMs.filter((_, i) => i % BATCHES === 0 || i % BATCHES === 50);
  const others = batchMs
    .filter((_, i) => i % BATCHES !== 0 && i % BATCHES !== 50)
    .sort((a, b) => a - b);
  const median = others[Math.floor(others.length / 2)]!;
  const epochMs = batchMs.reduce((a, b) => a + b, 0) / epochs;
  console.log(
    `  breakdown over ${epochs} instrumented epochs (${epochMs.toFixed(0)} ms per epoch in batches):`,
  );
  for (const [name, ms] of selfMs) {
    console.log(
      `    ${name.padEnd(18)} ${(ms / epochs).toFixed(1).padStart(7)} ms per epoch in its hooks (${((100 * ms) / epochs / epochMs).toFixed(2)}%)`,
    );
  }
  const sampledMean = sampled.reduce((a, b) => a + b, 0) / sampled.length;
  console.log(
    `    sampled batches    ${sampledMean.toFixed(1).padStart(7)} ms each vs ${median.toFixed(1)} ms median batch ` +
      `(${(sampledMean / median).toFixed(2)}×; 2 of ${BATCHES} batches)`,
  );
}
