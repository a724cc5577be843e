// Bundled for headless Chromium by test/browser/chromium.test.ts and
// bench/mlp-step-device-vs-sync-browser.ts. On the backend named by `?backend=` (webgl or webgpu):
// checks that 'device' mode reads nothing back per step and takes the same steps as 'sync' mode,
// trains through model.fit under the default mode without losing the device, and (with
// `?rounds=N`) times an MLP step in both modes. Results go to `window.ampResult`.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import {LossScaleOptimizer, type StepMode} from '@tfjs-amp/loss-scale';
import {batch, mlp} from '../../bench/internal/mlp-rounds.js';

export interface PageSeries {
  name: string;
  stepMs: number[];
}

export interface PageResult {
  readonly backend: string;
  /** The mode 'auto' picked. */
  readonly autoMode: StepMode;
  /** Reads during 6 'device' steps (backend read/readSync and tensor reads). */
  readonly deviceStepReads: number;
  /** Whether 'device' and 'sync' mode ended with the same variable bits and state (null: not run). */
  readonly sameAsSync: boolean | null;
  /** The state after the six small steps in 'device' mode. */
  readonly deviceState: unknown;
  readonly skippedSteps: number;
  readonly fitLosses: number[];
  readonly fitSkipped: number;
  readonly deviceLost: boolean;
  readonly series: PageSeries[];
  readonly errors: string[];
}

function countReads(): {count: number; restore: () => void} {
  const counter = {count: 0, restore: () => {}};
  const restores: (() => void)[] = [];
  const wrap = (target: Record<string, unknown>, name: string) => {
    const original = target[name] as (...a: unknown[]) => unknown;
    if (typeof original !== 'function') return;
    target[name] = function (this: unknown, ...a: unknown[]) {
      counter.count++;
      return original.apply(this, a);
    };
    restores.push(() => {
      target[name] = original;
    });
  };
  const backend = tf.backend() as unknown as Record<string, unknown>;
  for (const m of ['read', 'readSync', 'readToGPU']) wrap(backend, m);
  const proto = tf.Tensor.prototype as unknown as Record<string, unknown>;
  for (const m of ['dataSync', 'data', 'arraySync', 'array', 'dataToGPU']) wrap(proto, m);
  counter.restore = () => {
    for (const r of restores) r();
  };
  return counter;
}

/** Six steps of a small regression, one with an Inf input; the variables' bits and the state. */
async function smallRun(mode: 'sync' | 'device', spy: boolean) {
  const w = tf.variable(tf.tensor2d([0.5, -0.25, 0.125, 1, -1, 0.75], [3, 2]));
  const x = tf.tensor2d([1, 2, 3, -1, 0.5, 2], [2, 3]);
  const xBad = tf.tensor2d([1, 2, 3, -1, Number.POSITIVE_INFINITY, 2], [2, 3]);
  const y = tf.tensor2d([1, 0, 0, 1], [2, 2]);
  const opt = new LossScaleOptimizer(tf.train.adam(0.01), {
    mode,
    initialScale: 8,
    growthInterval: 2,
  });
  const lossOn = (input: tf.Tensor) => () =>
    tf.losses.meanSquaredError(y, tf.matMul(input, w)) as tf.Scalar;
  const reads = spy ? countReads() : {count: 0, restore: () => {}};
  for (const input of [x, x, xBad, x, x, x]) opt.minimize(lossOn(input), false, [w]);
  const stepReads = reads.count;
  reads.restore();
  const state = await opt.readState();
  const bits = Array.from(new Uint32Array((await w.data()).buffer));
  opt.dispose();
  tf.dispose([w, x, xBad, y]);
  return {stepReads, state, bits};
}

async function run(): Promise<PageResult> {
  const params = new URLSearchParams(location.search);
  const backend = params.get('backend') ?? 'webgl';
  const rounds = Number(params.get('rounds') ?? 0);
  const block = Number(params.get('block') ?? 10);
  const errors: string[] = [];
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} failed to start`);
  await tf.ready();
  let deviceLost = false;
  const device = (tf.backend() as unknown as {device?: {lost: Promise<unknown>}}).device;
  device?.lost.then(() => {
    deviceLost = true;
  });

  // 'sync' mode's dataSync() per step loses the WebGPU device (mapAsync aborts): the comparison
  // and its timing run on webgl only.
  const syncRuns = backend !== 'webgpu';
  const dev = await smallRun('device', true);
  const sync = syncRuns ? await smallRun('sync', false) : null;
  const sameAsSync =
    sync == null
      ? null
      : JSON.stringify(sync.state) === JSON.stringify(dev.state) &&
        sync.bits.every((b, i) => b === dev.bits[i]);

  // model.fit under the default mode, with overflowing first steps: the scale starts at float32's
  // largest value, so the scaled loss (about 2.3 times it) is Inf whatever the GPU's rounding
  // (at 2^127 it overflowed only when the loss exceeded 2, which made the test flaky).
  const model = mlp();
  const auto = new LossScaleOptimizer(tf.train.adam(1e-3), {
    initialScale: 3.4028234663852886e38,
    maxScale: 3.4028234663852886e38,
    backoffFactor: 2 ** -20,
  });
  model.compile({optimizer: auto, loss: 'categoricalCrossentropy'});
  const {x: fx, y: fy} = batch();
  const h = await model.fit(fx, fy, {epochs: 4, batchSize: 16, verbose: 0});
  const fitSkipped = (await auto.readState()).skippedSteps;
  model.dispose();
  auto.dispose();

  // Timing: blocks of `block` steps per variant, rotating, each block ended by one read of a
  // weight (so 'device' steps are timed to completion, not only to their dispatch).
  const series: PageSeries[] = [];
  if (rounds > 0) {
    const modes = syncRuns ? (['sync', 'device', null] as const) : (['device', null] as const);
    const variants = modes.map((mode) => {
      const m = mlp();
      const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
      const opt =
        mode == null ? tf.train.adam(1e-3) : new LossScaleOptimizer(tf.train.adam(1e-3), {mode});
      const loss = () => tf.losses.softmaxCrossEntropy(fy, m.apply(fx) as tf.Tensor) as tf.Scalar;
      const name = mode == null ? 'adam (no loss scaling)' : `LossScaleOptimizer(adam) '${mode}'`;
      const s: PageSeries = {name, stepMs: []};
      series.push(s);
      return {s, vars, step: () => opt.minimize(loss, false, vars)};
    });
    const timeBlock = async (v: (typeof variants)[number]) => {
      const t0 = performance.now();
      for (let i = 0; i < block; i++) v.step();
      await v.vars[0]!.data();
      return (performance.now() - t0) / block;
    };
    for (const v of variants) for (let i = 0; i < 3; i++) await timeBlock(v);
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < variants.length; k++) {
        const v = variants[(r + k) % variants.length]!;
        v.s.stepMs.push(await timeBlock(v));
      }
    }
  }
  tf.dispose([fx, fy]);
  return {
    backend: tf.getBackend(),
    autoMode: new LossScaleOptimizer(tf.train.sgd(0)).stepMode,
    deviceStepReads: dev.stepReads,
    sameAsSync,
    deviceState: dev.state,
    skippedSteps: dev.state.skippedSteps,
    fitLosses: h.history.loss as number[],
    fitSkipped,
    deviceLost,
    series,
    errors,
  };
}

(globalThis as unknown as {ampResult: Promise<PageResult>}).ampResult = run();
