// Optimizer step time on tfjs-node: fuseOptimizer(tf.train.adam()) against tfjs's own Adam, on the
// variable shapes of two MLPs, one applyGradients call each per round in rotating order after the
// same warm-up. Target: the fused step takes at most half the time (≤ 0.50×).
// Run: `npm run bench -w @tfjs-amp/optimizers` (under `flock /tmp/tfjs-amp-bench.lock`);
// `--quick` for a smoke run.
import * as tf from '@tensorflow/tfjs';
import {mkdirSync, writeFileSync} from 'node:fs';
import {fuseOptimizer} from '@tfjs-amp/optimizers';
// One machine line for every package's tables (owned by the same team; not a copy).
import {quantile} from '@tfjs-amp/kernels/shared';
import {NativeOpSpy, machineLine} from '@tfjs-amp/test-utils';

const WORKLOADS: Readonly<Record<string, readonly number[][]>> = {
  'W1 MLP 784-1024-1024-10': [[784, 1024], [1024], [1024, 1024], [1024], [1024, 10], [10]],
  'W4 MLP 1024-4096-4096-10': [[1024, 4096], [4096], [4096, 4096], [4096], [4096, 10], [10]],
};

const TARGET = 0.5;

interface Variant {
  name: string;
  optimizer: tf.Optimizer;
  variables: tf.Variable[];
  stepMs: number[];
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

function opCount(step: () => void): number {
  const spy = new NativeOpSpy();
  try {
    step();
  } finally {
    spy.restore();
  }
  return spy.records.length;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  await import('@tensorflow/tfjs-node' as string);
  if (!(await tf.setBackend('tensorflow'))) throw new Error('bench: tfjs-node failed to start');
  const lines = [machineLine(), ''];
  const results: unknown[] = [];
  lines.push(
    '| workload | params | tfjs Adam ms/step (p10–p90) | fused ms/step (p10–p90) | ratio fused/tfjs (lower is better) | TF ops per step tfjs → fused |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const [workload, shapes] of Object.entries(WORKLOADS)) {
    const params = shapes.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
    const big = params > 4e6;
    const warmup = quick ? 2 : 5;
    const rounds = quick ? 4 : big ? 30 : 80;
    const initial = shapes.map((s, i) => tf.randomNormal(s, 0, 0.05, 'float32', i + 1));
    const grads = shapes.map((s, i) => tf.randomNormal(s, 0, 1e-3, 'float32', 100 + i));
    const variant = (name: string, optimizer: tf.Optimizer): Variant => ({
      name,
      optimizer,
      variables: initial.map((t) => tf.variable(t.clone())),
      stepMs: [],
    });
    const variants = [
      variant('tfjs Adam', tf.train.adam(1e-3)),
      variant('fused Adam', fuseOptimizer(tf.train.adam(1e-3))),
    ];
    const step = (v: Variant) =>
      v.optimizer.applyGradients(v.variables.map((x, i) => ({name: x.name, tensor: grads[i]!})));
    for (const v of variants) for (let i = 0; i < warmup; i++) step(v);
    const ops = variants.map((v) => opCount(() => step(v)));
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < variants.length; k++) {
        const v = variants[(r + k) % variants.length]!;
        const t0 = performance.now();
        step(v);
        v.stepMs.push(performance.now() - t0);
      }
    }
    const [base, fused] = variants as [Variant, Variant];
    const ratio = median(fused.stepMs) / median(base.stepMs);
    const cell = (v: Variant) =>
      `${median(v.stepMs).toFixed(2)} (${quantileOf(v.stepMs, 0.1).toFixed(2)}–${quantileOf(v.stepMs, 0.9).toFixed(2)})`;
    lines.push(
      `| ${workload} | ${params.toLocaleString('en-US')} | ${cell(base)} | ${cell(fused)} | ` +
        `${ratio.toFixed(3)}× (≤ ${TARGET.toFixed(2)}×) ${ratio <= TARGET ? 'met' : 'NOT met'} | ${ops[0]} → ${ops[1]} |`,
    );
    results.push({
      workload,
      params,
      rounds,
      warmup,
      tfjsMs: median(base.stepMs),
      fusedMs: median(fused.stepMs),
      ratio,
      target: TARGET,
      opsPerStep: {tfjs: ops[0], fused: ops[1]},
    });
    for (const v of variants) {
      v.optimizer.dispose();
      tf.dispose(v.variables);
    }
    tf.dispose([...initial, ...grads]);
  }
  lines.push(
    '',
    `Median wall time of one applyGradients call (all variables), rounds rotate the order; load average ${(await import('node:os')).loadavg()[0]!.toFixed(2)}.`,
  );
  console.log(lines.join('\n'));
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, {recursive: true});
  writeFileSync(
    new URL('adam-step-fused-vs-tfjs.json', dir),
    `${JSON.stringify({subject: 'adam-step-fused-vs-tfjs', machine: machineLine(), results}, null, 2)}\n`,
  );
}

await main();
