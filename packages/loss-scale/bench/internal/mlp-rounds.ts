// The MLP step the loss-scale benchmarks time (wasm here, Chromium through
// test/browser/device-mode-page.ts), and the wasm benchmarks' rotating-rounds loop.
import * as tf from '@tensorflow/tfjs';
import type {Series} from './compare-runs.js';

export const INPUTS = 128;
export const HIDDEN = 256;
export const CLASSES = 10;
export const BATCH = 64;

/**
 * MLP INPUTS-HIDDEN-HIDDEN-CLASSES with seeded Glorot kernels (the same weights every time); the
 * Chromium page test/browser/device-mode-page.ts trains it too, so the wasm and browser
 * benchmarks time one model.
 */
export function mlp(): tf.Sequential {
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

/** One timed configuration: its series and one `optimizer.minimize` step. */
export interface Variant {
  readonly series: Series;
  readonly step: () => void;
}

/** A fresh MLP trained by `optimizer` on `x`, `y` (softmax cross-entropy). */
export function variant(
  name: string,
  optimizer: tf.Optimizer,
  x: tf.Tensor,
  y: tf.Tensor,
): Variant {
  const model = mlp();
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const loss = () => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar;
  return {
    series: {name, stepMs: []},
    step: () => tf.dispose(optimizer.minimize(loss, true, vars)!),
  };
}

/** The seeded batch every variant trains on; dispose it after. */
export function batch(): {x: tf.Tensor; y: tf.Tensor} {
  return {
    x: tf.randomNormal([BATCH, INPUTS], 0, 1, 'float32', 7),
    y: tf.oneHot(tf.randomUniform([BATCH], 0, CLASSES, 'int32', 8), CLASSES),
  };
}

/**
 * `warmup` steps of each variant, then `rounds` rounds of one step each, in an order that rotates
 * so that drifts in machine load and garbage collection hit every variant alike. Fills each
 * series' wall times and its CPU ms per step (process CPU time, all threads and GC included:
 * steadier than wall time on a shared machine).
 */
export function rotatingRounds(variants: readonly Variant[], warmup: number, rounds: number): void {
  for (const v of variants) for (let i = 0; i < warmup; i++) v.step();
  const cpuUs = variants.map(() => 0);
  for (let r = 0; r < rounds; r++) {
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
}

/** The title line both benchmarks print. */
export function title(rounds: number, warmup: number): string {
  return (
    `MLP ${INPUTS}-${HIDDEN}-${HIDDEN}-${CLASSES}, batch ${BATCH}, softmax cross-entropy, ` +
    `optimizer.minimize step: wall time per step over ${rounds} rotating rounds ` +
    `(one step of each variant per round) after ${warmup} warm-up steps each`
  );
}
