import * as tf from '@tensorflow/tfjs';

/** A small regression model with deterministic weights (the same every call). */
export function tinyModel(
  options: {inputs?: number; hidden?: number; seed?: number} = {},
): tf.Sequential {
  const inputs = options.inputs ?? 4;
  const hidden = options.hidden ?? 8;
  const seed = options.seed ?? 1;
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        units: hidden,
        inputShape: [inputs],
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({seed}),
        name: 'hidden',
      }),
      tf.layers.dense({
        units: 1,
        kernelInitializer: tf.initializers.glorotUniform({seed: seed + 1}),
        name: 'out',
      }),
    ],
  });
  return model;
}

/** Deterministic pseudo-random values in [-1, 1) (a tiny LCG, so tests need no seedable RNG). */
export function lcg(n: number, seed = 7): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/**
 * `samples` rows of `inputs` features and a linear target; rows listed in `nanRows` get a NaN
 * feature, so the batch holding them has a NaN loss.
 */
export function regressionData(
  samples: number,
  inputs = 4,
  nanRows: readonly number[] = [],
): {x: Float32Array; y: Float32Array} {
  const x = lcg(samples * inputs, 11);
  const y = new Float32Array(samples);
  for (let r = 0; r < samples; r++) {
    let t = 0;
    for (let c = 0; c < inputs; c++) t += (c + 1) * 0.25 * x[r * inputs + c]!;
    y[r] = t;
  }
  for (const r of nanRows) x[r * inputs] = Number.NaN;
  return {x, y};
}

/** A tf.data dataset of `batches` batches of `batchSize` rows built from {@link regressionData}. */
export function regressionDataset(
  data: {x: Float32Array; y: Float32Array},
  inputs: number,
  batchSize: number,
): tf.data.Dataset<tf.TensorContainer> {
  const samples = data.y.length;
  const rows: Array<{xs: number[]; ys: number[]}> = [];
  for (let r = 0; r < samples; r++) {
    rows.push({xs: Array.from(data.x.subarray(r * inputs, (r + 1) * inputs)), ys: [data.y[r]!]});
  }
  return tf.data
    .array(rows)
    .map((row) => {
      const {xs, ys} = row as {xs: number[]; ys: number[]};
      return {xs: tf.tensor1d(xs), ys: tf.tensor1d(ys)};
    })
    .batch(batchSize);
}
