// Helpers for the tfjs-node suites (the binding spy is test-utils' NativeOpSpy): deterministic
// gradients, and variables built the same way for a reference and a fused run.
import * as tf from '@tensorflow/tfjs';

type Backend = {getInputTensorIds(t: tf.Tensor[]): number[]};

/** Gives tensors their native handles now (tfjs-node creates them lazily on first use). */
export function materialize(...tensors: tf.Tensor[]): void {
  (tf.backend() as unknown as Backend).getInputTensorIds(tensors);
}

/** Deterministic values in [-1, 1) (a 32-bit LCG), as float32. */
export function lcg(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

let made = 0;

/** Variables with the same values each call (unique names): one set per optimizer compared. */
export function makeVariables(shapes: readonly number[][], seed = 1): tf.Variable[] {
  made++;
  return shapes.map((shape, i) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return tf.tidy(() =>
      tf.variable(tf.tensor(lcg(n, seed + i), shape), true, `opt-test-${made}-${i}`),
    );
  });
}
