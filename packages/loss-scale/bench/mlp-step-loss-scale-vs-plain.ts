// Step time of an MLP on wasm with and without LossScaleOptimizer, alternating after the same
// warm-up. Target: the wrapper costs at most 5% (≤ 1.05×).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {LossScaleOptimizer} from '@tfjs-amp/loss-scale';
import {compareRuns} from './internal/compare-runs.js';
import {batch, rotatingRounds, title, type Variant, variant} from './internal/mlp-rounds.js';

/** Runs the benchmark; `quick` shortens it for smoke runs. */
export async function run(quick = false): Promise<string> {
  if (!(await tf.setBackend('wasm'))) throw new Error('bench: the wasm backend failed to start');
  await tf.ready();
  const {x, y} = batch();
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
  rotatingRounds(variants, warmup, rounds);
  const [base, wrapped, clipped] = variants as [Variant, Variant, Variant];
  const table = compareRuns({
    subject: 'mlp-step-loss-scale-vs-plain',
    title: title(rounds, warmup),
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
