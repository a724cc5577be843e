import * as tf from '@tensorflow/tfjs';
import '@tfjs-amp/kernels';
import {LossScaleOptimizer} from '@tfjs-amp/loss-scale';
import {applyPolicy, type PolicyName, saveModelWithPolicy} from '@tfjs-amp/policy';
import type {Digits} from './mnist-data.js';

/** The policies the page offers; `mixed_float16` trains with a {@link LossScaleOptimizer}. */
export const PAGE_POLICIES = Object.freeze(['float32', 'mixed_float16', 'mixed_bfloat16'] as const);
export type PagePolicy = (typeof PAGE_POLICIES)[number];

/** Settings of one training run. */
export interface RunSettings {
  readonly policy: PagePolicy;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** Seed of the weight initialisers (both runs start from the same weights). */
  readonly seed: number;
}

/** Default settings: 3 epochs, batch 64, Adam 2e-3, seed 0. */
export const DEFAULT_RUN_SETTINGS: Readonly<Omit<RunSettings, 'policy'>> = Object.freeze({
  epochs: 3,
  batchSize: 64,
  learningRate: 2e-3,
  seed: 0,
});

/** What the page hears while a run trains. */
export interface RunListener {
  /** After each step: its 1-based number, of `total`, and its loss. */
  step(step: number, total: number, loss: number): void;
  /** Loss-scale events (`mixed_float16` only), possibly several at once in `'device'` mode. */
  scale(step: number, lossScale: number, skippedSteps: number): void;
}

/** What one run measured. */
export interface RunResult {
  readonly policy: PagePolicy;
  readonly steps: number;
  /** Median wall time between consecutive step ends, first step of each epoch excluded. */
  readonly stepMs: number;
  readonly trainSeconds: number;
  readonly finalLoss: number;
  readonly testAccuracy: number;
  /** Loss scaling of the run: the optimizer's step mode, or null without a LossScaleOptimizer. */
  readonly lossScaleMode: 'sync' | 'device' | null;
  readonly finalLossScale: number | null;
  readonly skippedSteps: number | null;
  readonly parameters: number;
  /** Weight format of the saved model: float16 for the mixed policies, float32 otherwise. */
  readonly savedWeightsAs: 'float16' | 'float32';
  readonly savedWeightBytes: number;
  /** model.json (topology, manifest, policy record) plus the weights. */
  readonly savedTotalBytes: number;
}

/** MLP 784-128-64-10, ReLU, softmax, seeded Glorot weights (109,386 parameters). */
export function buildMlp(seed: number): tf.Sequential {
  const init = (i: number) => tf.initializers.glorotUniform({seed: seed + i});
  return tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [784],
        units: 128,
        activation: 'relu',
        kernelInitializer: init(0),
      }),
      tf.layers.dense({units: 64, activation: 'relu', kernelInitializer: init(1)}),
      tf.layers.dense({units: 10, activation: 'softmax', kernelInitializer: init(2)}),
    ],
  });
}

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Share of `test` the model classifies right; reads back asynchronously (no dataSync). */
async function accuracy(model: tf.LayersModel, test: Digits): Promise<number> {
  let correct = 0;
  for (let start = 0; start < test.count; start += 500) {
    const n = Math.min(500, test.count - start);
    const predicted = tf.tidy(() => {
      const x = tf.tensor2d(test.images.subarray(start * 784, (start + n) * 784), [n, 784]);
      return (model.predict(x) as tf.Tensor).argMax(-1);
    });
    const classes = (await predicted.data()) as Int32Array;
    predicted.dispose();
    for (let i = 0; i < n; i++) if (classes[i] === test.labels[start + i]) correct++;
  }
  return correct / test.count;
}

/** Bytes of the model saved with `saveModelWithPolicy` into memory. */
async function savedSize(model: tf.LayersModel, as: 'float16' | 'float32') {
  let weights = 0;
  let json = 0;
  const handler = tf.io.withSaveHandler(async (artifacts) => {
    const data = artifacts.weightData;
    weights =
      data == null
        ? 0
        : Array.isArray(data)
          ? data.reduce((a, b) => a + b.byteLength, 0)
          : data.byteLength;
    const {weightData: _omitted, ...rest} = artifacts;
    json = new TextEncoder().encode(JSON.stringify(rest)).byteLength;
    return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
  });
  await saveModelWithPolicy(model, handler, {saveWeightsAs: as});
  return {weights, total: weights + json};
}

/**
 * Trains a fresh MLP on `train` under `settings.policy` with `model.fit`, then measures its
 * accuracy on `test` and its saved size. Under `mixed_float16` the optimizer is a
 * {@link LossScaleOptimizer} in its default mode (`'auto'`: sync-free on webgl and webgpu, one
 * scalar read per step on wasm); in sync-free mode its state is read every `readEvery` steps
 * without blocking, which is when the loss-scale chart moves.
 */
export async function trainRun(
  train: Digits,
  test: Digits,
  settings: RunSettings,
  listener: RunListener,
  readEvery = 25,
): Promise<RunResult> {
  const model = buildMlp(settings.seed);
  if (settings.policy !== 'float32') applyPolicy(model, settings.policy as PolicyName);
  const adam = tf.train.adam(settings.learningRate);
  const lso = settings.policy === 'mixed_float16' ? new LossScaleOptimizer(adam) : null;
  lso?.onUpdate((e) => listener.scale(e.step + 1, e.lossScale, e.skippedSteps));
  model.compile({optimizer: lso ?? adam, loss: 'categoricalCrossentropy'});

  const [x, y] = tf.tidy(() => [
    tf.tensor2d(train.images, [train.count, 784]),
    tf.oneHot(tf.tensor1d(train.labels, 'int32'), 10).toFloat(),
  ]);
  const stepsPerEpoch = Math.ceil(train.count / settings.batchSize);
  const total = stepsPerEpoch * settings.epochs;
  let step = 0;
  let finalLoss = Number.NaN;
  let last = 0;
  const intervals: number[] = [];
  const started = performance.now();
  try {
    await model.fit(x, y, {
      epochs: settings.epochs,
      batchSize: settings.batchSize,
      shuffle: false, // the same batches in every run, so the curves compare
      verbose: 0,
      callbacks: {
        onBatchEnd: async (batch, logs) => {
          step++;
          const now = performance.now();
          if (batch > 0) intervals.push(now - last);
          last = now;
          finalLoss = logs?.loss ?? Number.NaN;
          listener.step(step, total, finalLoss);
          if (lso?.stepMode === 'device' && step % readEvery === 0) await lso.readState();
        },
      },
    });
  } finally {
    tf.dispose([x, y]);
  }
  const trainSeconds = (performance.now() - started) / 1000;
  if (lso != null) await lso.readState(); // the last events, in 'device' mode
  const savedWeightsAs = settings.policy === 'float32' ? 'float32' : 'float16';
  const size = await savedSize(model, savedWeightsAs);
  const result: RunResult = {
    policy: settings.policy,
    steps: step,
    stepMs: median(intervals),
    trainSeconds,
    finalLoss,
    testAccuracy: await accuracy(model, test),
    lossScaleMode: lso?.stepMode ?? null,
    finalLossScale: lso == null ? null : (await lso.readState()).lossScale,
    skippedSteps: lso == null ? null : (await lso.readState()).skippedSteps,
    parameters: model.countParams(),
    savedWeightsAs,
    savedWeightBytes: size.weights,
    savedTotalBytes: size.total,
  };
  model.dispose();
  lso?.dispose();
  if (lso == null) adam.dispose();
  return result;
}
