import * as tf from '@tensorflow/tfjs';
import {lcg} from './support.js';

/**
 * 'small' (4 → 4, kernel 10) then 'amplify' (4 → 1, kernel 100), no biases; every weight is exact
 * in float16. On all-ones inputs: h = 4 · 10 = 40 per unit and out = 4 · 40 · 100 = 1.6e4, so
 * activations fit float16. With a zero target and a batch of 4, the MSE gradient at the output is
 * 2 · 1.6e4 / 4 = 8e3 and the gradient reaching 'small''s output is 100 times that, 8e5: beyond
 * float16's 65504 at any loss scale ≥ 1, finite in bfloat16.
 */
export function gradientOverflowModel(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.dense({
        units: 4,
        inputShape: [4],
        useBias: false,
        kernelInitializer: tf.initializers.constant({value: 10}),
        name: 'small',
      }),
      tf.layers.dense({
        units: 1,
        useBias: false,
        kernelInitializer: tf.initializers.constant({value: 100}),
        name: 'amplify',
      }),
    ],
  });
}

/**
 * x (4 features, all ones) → 'big' (2 units, kernel 2e4, no bias) → 'out' (1 unit, kernel 1e-5).
 * 'big' outputs 4 · 2e4 = 8e4 per unit: finite in float32, beyond float16's 65504 (the tie
 * 65520 already rounds to Inf). 'out' outputs 2 · 8e4 · 1e-5 = 1.6.
 */
export function activationOverflowModel(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.dense({
        units: 2,
        inputShape: [4],
        useBias: false,
        kernelInitializer: tf.initializers.constant({value: 2e4}),
        name: 'big',
      }),
      tf.layers.dense({
        units: 1,
        useBias: false,
        kernelInitializer: tf.initializers.constant({value: 1e-5}),
        name: 'out',
      }),
    ],
  });
}

/**
 * Linear regression with raw (unnormalized) features: x in [0, 1000)^4, y = 10·x0 + 20·x1 +
 * 30·x2 + 40·x3 + noise, noise uniform in [-1000, 1000) (variance 1e6 / 3 ≈ 3.3e5, the loss
 * floor). Targets reach 9e4, beyond float16; the output gradient times x (up to 1000) overflows
 * float16 at every loss scale ≥ 1 until the fit is close.
 */
export function rawFeatureRegression(samples: number): {x: Float32Array; y: Float32Array} {
  const u = lcg(samples * 4, 3);
  const noise = lcg(samples, 5);
  const x = new Float32Array(samples * 4);
  const y = new Float32Array(samples);
  for (let r = 0; r < samples; r++) {
    let t = 0;
    for (let k = 0; k < 4; k++) {
      const v = (u[r * 4 + k]! + 1) * 500;
      x[r * 4 + k] = v;
      t += 10 * (k + 1) * v;
    }
    y[r] = t + 1000 * noise[r]!;
  }
  return {x, y};
}

/** One Dense(1) unit on 4 inputs, glorot-initialized with a fixed seed. */
export function linearModel(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.dense({
        units: 1,
        inputShape: [4],
        kernelInitializer: tf.initializers.glorotUniform({seed: 1}),
        name: 'linear',
      }),
    ],
  });
}
