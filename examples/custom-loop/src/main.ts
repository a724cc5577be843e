// MNIST with a hand-written training loop instead of model.fit: the loss-scale optimizer's four
// calls (scaleLoss → computeGradients → unscaleGradients → applyGradients) around a CNN under
// mixed_float16, next to the same loop in float32; then save with float16 weights and reload.
// Run: npm start (flags: see --help).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {realpathSync} from 'node:fs';
import {resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';
import {loadMnist} from '@tfjs-amp/bench/data';
import {modelDirectoryHandler} from '@tfjs-amp/policy/node';
// Registers tfjs-amp's kernels, among them Conv2DBackpropFilter for wasm, which CNNs need.
import '@tfjs-amp/kernels';
import {LossScaleOptimizer} from '@tfjs-amp/loss-scale';
import {
  applyPolicy,
  loadLayersModelWithPolicy,
  readPolicyRecord,
  saveModelWithPolicy,
} from '@tfjs-amp/policy';

/** What one run measured. */
export interface LoopResult {
  float32Accuracy: number;
  mixedAccuracy: number;
  /** Mean training loss of each epoch, mixed run. */
  mixedEpochLoss: number[];
  skippedSteps: number;
  /** Steps whose gradients went to the inner optimizer. */
  appliedSteps: number;
  finalLossScale: number;
  float16WeightBytes: number;
  reloadedPolicy: string | null;
  reloadedAccuracy: number;
}

const FLAGS = {
  epochs: {type: 'string', default: '3'},
  train: {type: 'string', default: '8000'},
  test: {type: 'string', default: '2000'},
  batch: {type: 'string', default: '64'},
  seed: {type: 'string', default: '0'},
  out: {type: 'string', default: 'custom-loop-model'},
  help: {type: 'boolean', default: false},
} as const;

function positive(flag: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new RangeError(`custom-loop: --${flag} must be an integer ≥ 1; got '${value}'.`);
  }
  return Number(value);
}

function buildCnn(seed: number): tf.Sequential {
  const init = (i: number) => tf.initializers.glorotUniform({seed: seed + i});
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 8,
        kernelSize: 3,
        activation: 'relu',
        kernelInitializer: init(0),
      }),
      tf.layers.maxPooling2d({poolSize: 2}),
      tf.layers.conv2d({
        filters: 16,
        kernelSize: 3,
        activation: 'relu',
        kernelInitializer: init(1),
      }),
      tf.layers.maxPooling2d({poolSize: 2}),
      tf.layers.flatten(),
      tf.layers.dense({units: 10, activation: 'softmax', kernelInitializer: init(2)}),
    ],
  });
}

/** Mean categorical cross-entropy of the model's softmax output on one batch. */
function batchLoss(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): tf.Scalar {
  const probs = model.apply(x, {training: true}) as tf.Tensor;
  return tf.metrics.categoricalCrossentropy(y, probs).mean() as tf.Scalar;
}

/**
 * One epoch of the hand-written loop. With a LossScaleOptimizer each step is:
 *   scaleLoss (inside computeGradients' f) → computeGradients → unscaleGradients → applyGradients,
 * where applyGradients skips the step (and lowers the scale) when a gradient overflowed.
 * Returns the epoch's mean loss.
 */
function trainEpoch(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  x: tf.Tensor,
  y: tf.Tensor,
  batchSize: number,
): number {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const steps = Math.floor(x.shape[0]! / batchSize);
  let sum = 0;
  for (let s = 0; s < steps; s++) {
    const loss = tf.tidy(() => {
      const xb = x.slice(s * batchSize, batchSize);
      const yb = y.slice(s * batchSize, batchSize);
      if (optimizer instanceof LossScaleOptimizer) {
        let raw: tf.Scalar | null = null;
        const {value, grads} = optimizer.computeGradients(() => {
          raw = tf.keep(batchLoss(model, xb, yb));
          return optimizer.scaleLoss(raw);
        }, vars);
        const unscaled = optimizer.unscaleGradients(grads);
        optimizer.applyGradients(unscaled);
        tf.dispose([value, grads, unscaled]);
        return raw!;
      }
      const {value, grads} = optimizer.computeGradients(() => batchLoss(model, xb, yb), vars);
      optimizer.applyGradients(grads);
      return value;
    });
    sum += loss.dataSync()[0]!;
    loss.dispose();
  }
  return sum / steps;
}

function accuracy(model: tf.LayersModel, x: tf.Tensor, labels: Uint8Array): number {
  const predicted = tf.tidy(() =>
    (model.predict(x, {batchSize: 500}) as tf.Tensor).argMax(-1).dataSync(),
  );
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct++;
  return correct / labels.length;
}

/** A difference of two accuracies in percentage points, with its sign: `+0.05 pp`. */
function signedPp(difference: number): string {
  const pp = difference * 100;
  return `${pp >= 0 ? '+' : '−'}${Math.abs(pp).toFixed(2)} pp`;
}

/** Runs the example with command-line flags; `log` receives every output line. */
export async function main(
  argv: readonly string[] = process.argv.slice(2),
  log: (line: string) => void = console.log,
): Promise<LoopResult | null> {
  const {values: v} = parseArgs({args: [...argv], options: FLAGS, strict: true});
  if (v.help) {
    log(
      'Usage: npm start -- [--epochs 3] [--train 8000] [--test 2000] [--batch 64] [--seed 0] [--out DIR]',
    );
    return null;
  }
  const epochs = positive('epochs', v.epochs);
  const batchSize = positive('batch', v.batch);
  const seed = Number(v.seed);
  await tf.setBackend('wasm');
  const {train, test} = loadMnist({
    trainSize: positive('train', v.train),
    testSize: positive('test', v.test),
    seed,
  });
  const [xTrain, yTrain, xTest] = tf.tidy(() => [
    tf.tensor4d(train.images, [train.count, 28, 28, 1]),
    tf.oneHot(tf.tensor1d(train.labels, 'int32'), 10).toFloat(),
    tf.tensor4d(test.images, [test.count, 28, 28, 1]),
  ]);

  const float32 = buildCnn(seed);
  const adam32 = tf.train.adam(2e-3);
  const mixed = applyPolicy(buildCnn(seed), 'mixed_float16');
  const optimizer = new LossScaleOptimizer(tf.train.adam(2e-3));
  const mixedEpochLoss: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    const loss32 = trainEpoch(float32, adam32, xTrain, yTrain, batchSize);
    const loss16 = trainEpoch(mixed, optimizer, xTrain, yTrain, batchSize);
    mixedEpochLoss.push(loss16);
    log(
      `epoch ${epoch + 1}/${epochs}: loss float32 ${loss32.toFixed(4)}, mixed_float16 ${loss16.toFixed(4)} ` +
        `(loss scale ${optimizer.lossScale}, ${optimizer.skippedSteps} skipped)`,
    );
  }
  const float32Accuracy = accuracy(float32, xTest, test.labels);
  const mixedAccuracy = accuracy(mixed, xTest, test.labels);
  log(`\nHeld-out accuracy after ${epochs} epoch(s) on ${test.count} digits:`);
  log(`  float32        ${(float32Accuracy * 100).toFixed(2)}%`);
  log(
    `  mixed_float16  ${(mixedAccuracy * 100).toFixed(2)}%  (${signedPp(mixedAccuracy - float32Accuracy)})`,
  );

  const dir = resolve(v.out);
  const saved = await saveModelWithPolicy(mixed, modelDirectoryHandler(dir), {
    saveWeightsAs: 'float16',
  });
  const float16WeightBytes = saved.modelArtifactsInfo.weightDataBytes ?? 0;
  const reloaded = await loadLayersModelWithPolicy(modelDirectoryHandler(dir));
  const reloadedAccuracy = accuracy(reloaded, xTest, test.labels);
  const reloadedPolicy = readPolicyRecord(reloaded)?.name ?? null;
  log(
    `Saved to ${dir} with float16 weights (${float16WeightBytes} bytes, ${mixed.countParams()} parameters); ` +
      `reloaded: policy ${reloadedPolicy}, ${(reloadedAccuracy * 100).toFixed(2)}% held-out`,
  );

  const result: LoopResult = {
    float32Accuracy,
    mixedAccuracy,
    mixedEpochLoss,
    skippedSteps: optimizer.skippedSteps,
    appliedSteps: Number(optimizer.innerOptimizer.iterations),
    finalLossScale: optimizer.lossScale,
    float16WeightBytes,
    reloadedPolicy,
    reloadedAccuracy,
  };
  adam32.dispose();
  optimizer.dispose();
  tf.dispose([xTrain, yTrain, xTest]);
  float32.dispose();
  mixed.dispose();
  reloaded.dispose();
  return result;
}

function isEntryPoint(): boolean {
  try {
    return realpathSync(process.argv[1] ?? '') === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) await main();
