// Optimizer step time on wasm (tfjs's default backend in Node): AdamW and Nadam against tfjs's own
// Adam, on the variable shapes of an MLP, one applyGradients call each per round in rotating order
// after the same warm-up. Target: AdamW and Nadam at most 1.10× Adam (candidate / baseline, lower
// is faster). The bfloat16-state rows are reported without a target (they add two rounding
// kernels per variable). On a shared machine wall time swings with the load, so each step is also
// timed in process CPU time (user + system, `process.cpuUsage`; wasm here runs on the main thread)
// and the verdict uses CPU time.
// Run: `flock /tmp/tfjs-amp-bench.lock npx tsx --conditions=@tfjs-amp/source bench/adamw-nadam-vs-adam-wasm.ts`
// in packages/optimizers; `--quick` for a smoke run.
import '@tensorflow/tfjs-backend-wasm';
import '@tfjs-amp/kernels';
import {mkdirSync, writeFileSync} from 'node:fs';
import {loadavg} from 'node:os';
import * as tf from '@tensorflow/tfjs';
import {adamw, nadam} from '@tfjs-amp/optimizers';
// One machine line for every package's tables (owned by the same team; not a copy).
import {quantile} from '@tfjs-amp/kernels/shared';
import {machineLine} from '@tfjs-amp/test-utils';

const SHAPES = [[784, 512], [512], [512, 512], [512], [512, 10], [10]];
const TARGET = 1.1;

interface Variant {
  name: string;
  make: () => tf.Optimizer;
  target: number | null;
  optimizer?: tf.Optimizer;
  variables?: tf.Variable[];
  stepMs: number[];
  cpuMs: number[];
}

/** The `q` quantile of unsorted values (the shared, interpolated `quantile`). */
function quantileOf(values: readonly number[], q: number): number {
  return quantile(
    [...values].sort((x, y) => x - y),
    q,
  );
}

function median(values: readonly number[]): number {
  return quantileOf(values, 0.5);
}

function spread(values: number[]): string {
  return `${median(values).toFixed(2)} (${quantileOf(values, 0.1).toFixed(2)}–${quantileOf(values, 0.9).toFixed(2)})`;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  if (!(await tf.setBackend('wasm'))) throw new Error('bench: the wasm backend failed to start');
  const params = SHAPES.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
  const warmup = quick ? 2 : 10;
  const rounds = quick ? 5 : 100;
  const initial = SHAPES.map((s, i) => tf.randomNormal(s, 0, 0.05, 'float32', i + 1));
  const grads = SHAPES.map((s, i) => tf.randomNormal(s, 0, 1e-3, 'float32', 100 + i));
  const variants: Variant[] = [
    {
      name: 'tfjs Adam (baseline)',
      make: () => tf.train.adam(1e-3),
      target: null,
      stepMs: [],
      cpuMs: [],
    },
    {name: 'AdamW (keras)', make: () => adamw(), target: TARGET, stepMs: [], cpuMs: []},
    {
      name: 'AdamW (torch)',
      make: () => adamw({convention: 'torch'}),
      target: TARGET,
      stepMs: [],
      cpuMs: [],
    },
    {name: 'Nadam (keras)', make: () => nadam(), target: TARGET, stepMs: [], cpuMs: []},
    {
      name: 'AdamW, bfloat16 state (nearest)',
      make: () => adamw({stateFormat: 'bfloat16'}),
      target: null,
      stepMs: [],
      cpuMs: [],
    },
    {
      name: 'AdamW, bfloat16 state (stochastic)',
      make: () => adamw({stateFormat: 'bfloat16', stateRounding: 'stochastic'}),
      target: null,
      stepMs: [],
      cpuMs: [],
    },
  ];
  for (const v of variants) {
    v.optimizer = v.make();
    v.variables = initial.map((t) => tf.variable(t.clone()));
  }
  const step = (v: Variant) =>
    v.optimizer!.applyGradients(v.variables!.map((x, i) => ({name: x.name, tensor: grads[i]!})));
  for (const v of variants) for (let i = 0; i < warmup; i++) step(v);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(r + k) % variants.length]!;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      step(v);
      // wasm runs synchronously; reading one value makes sure the step is done.
      v.variables![0]!.dataSync();
      v.stepMs.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      v.cpuMs.push((c.user + c.system) / 1000);
    }
  }
  const base = median(variants[0]!.cpuMs);
  const baseWall = median(variants[0]!.stepMs);
  const lines = [
    machineLine(),
    '',
    `MLP 784-512-512-10 (${params.toLocaleString('en-US')} params), backend wasm, ${rounds} rounds after ${warmup} warm-up steps each`,
    '',
    '| optimizer | CPU ms/step (p10–p90) | ratio vs Adam, CPU time (lower is faster) | wall ms/step (p10–p90) | wall ratio | target (CPU ratio) |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
  ];
  const results = variants.map((v) => {
    const ratio = median(v.cpuMs) / base;
    const wallRatio = median(v.stepMs) / baseWall;
    const verdict =
      v.target == null ? '—' : `≤ ${v.target.toFixed(2)}× ${ratio <= v.target ? 'met' : 'NOT met'}`;
    lines.push(
      `| ${v.name} | ${spread(v.cpuMs)} | ${ratio.toFixed(3)}× | ${spread(v.stepMs)} | ${wallRatio.toFixed(3)}× | ${verdict} |`,
    );
    return {
      name: v.name,
      medianCpuMs: median(v.cpuMs),
      medianWallMs: median(v.stepMs),
      ratio,
      wallRatio,
      target: v.target,
    };
  });
  lines.push('', `Load average ${loadavg()[0]!.toFixed(2)}.`);
  console.log(lines.join('\n'));
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, {recursive: true});
  writeFileSync(
    new URL('adamw-nadam-vs-adam-wasm.json', dir),
    `${JSON.stringify({subject: 'adamw-nadam-vs-adam-wasm', machine: machineLine(), params, rounds, warmup, results}, null, 2)}\n`,
  );
  for (const v of variants) {
    v.optimizer!.dispose();
    tf.dispose(v.variables!);
  }
  tf.dispose([...initial, ...grads]);
}

await main();
