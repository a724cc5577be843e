// Step time of an MLP on wasm with LossScaleOptimizer in 'device' mode (no read back per step:
// check, skip and scale update on the device) against 'sync' mode (one scalar read per step),
// alternating after the same warm-up. Target: 'device' costs at most 5% more (≤ 1.05×).
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
  rotatingRounds(variants, warmup, rounds);
  const [sync, device, syncClip, deviceClip] = variants as [Variant, Variant, Variant, Variant];
  const table = compareRuns({
    subject: 'mlp-step-device-vs-sync',
    title: title(rounds, warmup),
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
