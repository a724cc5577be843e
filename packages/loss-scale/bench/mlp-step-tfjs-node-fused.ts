// Whole training steps on tfjs-node (forward, backward, update: optimizer.minimize) of the MLP
// 784-1024-1024-10, batch 256, softmax cross-entropy: tfjs Adam, fused Adam, and
// LossScaleOptimizer(adam) (fused by default), one step of each per round in rotating order after
// the same warm-up. Target: fused Adam's step at most 0.85× tfjs Adam's.
// Run: `npm run bench -w @tfjs-amp/loss-scale -- mlp-step-tfjs-node-fused` (under
// `flock /tmp/tfjs-amp-bench.lock`); it prints a note instead when tfjs-node is not installed.
import * as tf from '@tensorflow/tfjs';
import {mkdirSync, writeFileSync} from 'node:fs';
import {loadavg} from 'node:os';
import {LossScaleOptimizer} from '@tfjs-amp/loss-scale';
import {fuseOptimizer} from '@tfjs-amp/optimizers';
import {quantile} from '@tfjs-amp/kernels/shared';
import {machineLine} from '@tfjs-amp/test-utils';

const LAYERS = [784, 1024, 1024, 10];
const BATCH = 256;
const TARGET = 0.85;

interface Variant {
  name: string;
  stepMs: number[];
  step: () => void;
  dispose: () => void;
}

/** The `q` quantile of unsorted values (the shared, interpolated `quantile`). */
function quantileOf(values: readonly number[], q: number): number {
  return quantile(
    [...values].sort((a, b) => a - b),
    q,
  );
}

function median(values: readonly number[]): number {
  return quantileOf(values, 0.5);
}

function variant(name: string, optimizer: tf.Optimizer, x: tf.Tensor, y: tf.Tensor): Variant {
  const model = tf.sequential();
  LAYERS.slice(1).forEach((units, i) => {
    model.add(
      tf.layers.dense({
        units,
        activation: i === LAYERS.length - 2 ? 'linear' : 'relu',
        kernelInitializer: tf.initializers.glorotUniform({seed: i + 1}),
        ...(i === 0 ? {inputShape: [LAYERS[0]!]} : {}),
      }),
    );
  });
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const loss = () => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar;
  return {
    name,
    stepMs: [],
    step: () => {
      tf.tidy(() => {
        optimizer.minimize(loss, false, vars);
      });
    },
    dispose: () => {
      model.dispose();
      optimizer.dispose();
    },
  };
}

/** Runs the benchmark and returns its table; `quick` shortens it for smoke runs. */
export async function run(quick = false): Promise<string> {
  try {
    await import('@tensorflow/tfjs-node' as string);
  } catch (err) {
    const note = `mlp-step-tfjs-node-fused: skipped, @tensorflow/tfjs-node did not load (${String(err)}).`;
    console.log(note);
    return note;
  }
  if (!(await tf.setBackend('tensorflow'))) throw new Error('bench: tfjs-node failed to start');
  const x = tf.randomNormal([BATCH, LAYERS[0]!], 0, 1, 'float32', 7);
  const y = tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32', 8), 10);
  const variants = [
    variant('tfjs Adam', tf.train.adam(1e-3), x, y),
    variant('fuseOptimizer(adam)', fuseOptimizer(tf.train.adam(1e-3)), x, y),
    variant('LossScaleOptimizer(adam) (fused)', new LossScaleOptimizer(tf.train.adam(1e-3)), x, y),
  ];
  const warmup = quick ? 2 : 10;
  const rounds = quick ? 5 : 60;
  for (const v of variants) for (let i = 0; i < warmup; i++) v.step();
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(r + k) % variants.length]!;
      const t0 = performance.now();
      v.step();
      v.stepMs.push(performance.now() - t0);
    }
  }
  const base = median(variants[0]!.stepMs);
  const lines = [
    machineLine(),
    `MLP ${LAYERS.join('-')}, batch ${BATCH}, softmax cross-entropy, optimizer.minimize: ${rounds} rotating rounds after ${warmup} warm-up steps each; load average ${loadavg()[0]!.toFixed(2)}`,
    '',
    '| variant | median ms/step (p10–p90) | ratio (lower is better) |',
    '| --- | ---: | ---: |',
    ...variants.map((v, i) => {
      const ratio = median(v.stepMs) / base;
      const verdict =
        i === 1 ? ` (≤ ${TARGET.toFixed(2)}×) ${ratio <= TARGET ? 'met' : 'NOT met'}` : '';
      return `| ${v.name} | ${median(v.stepMs).toFixed(2)} (${quantileOf(v.stepMs, 0.1).toFixed(2)}–${quantileOf(v.stepMs, 0.9).toFixed(2)}) | ${i === 0 ? 'baseline' : `${ratio.toFixed(3)}×${verdict}`} |`;
    }),
  ];
  const table = lines.join('\n');
  console.log(`${table}\n`);
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, {recursive: true});
  writeFileSync(
    new URL('mlp-step-tfjs-node-fused.json', dir),
    `${JSON.stringify(
      {
        subject: 'mlp-step-tfjs-node-fused',
        machine: machineLine(),
        rounds,
        warmup,
        target: TARGET,
        variants: variants.map((v) => ({
          name: v.name,
          medianMs: median(v.stepMs),
          ratio: median(v.stepMs) / base,
        })),
      },
      null,
      2,
    )}\n`,
  );
  for (const v of variants) v.dispose();
  tf.dispose([x, y]);
  return table;
}
