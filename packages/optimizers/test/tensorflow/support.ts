// Helpers for the tfjs-node suites: a spy on the native binding that counts ops and live handles,
// deterministic gradients, and variables built the same way for a reference and a fused run.
import * as tf from '@tensorflow/tfjs';

type Binding = Record<string, unknown>;
type Backend = {binding: Binding; getInputTensorIds(t: tf.Tensor[]): number[]};

/**
 * Records what tfjs-node asks libtensorflow to do: every `executeOp` (op name), and the native
 * handles created (op outputs, `createTensor`) and deleted (`deleteTensor`), so that handles a
 * piece of code leaves alive can be counted. The addon's members are read-only, so the backend's
 * `binding` is swapped for a plain object with the same members; `restore()` puts it back.
 */
export class BindingSpy {
  readonly ops: string[] = [];
  created = 0;
  deleted = 0;
  private readonly original: Binding;

  constructor() {
    const backend = tf.backend() as unknown as Backend;
    const real = backend.binding;
    this.original = real;
    const copy: Binding = {};
    for (const key of Object.getOwnPropertyNames(real)) {
      const value = real[key];
      copy[key] =
        typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(real) : value;
    }
    const call = (name: string, args: unknown[]) =>
      (real[name] as (...a: unknown[]) => unknown).apply(real, args);
    copy.executeOp = (...args: unknown[]) => {
      this.ops.push(args[0] as string);
      const out = call('executeOp', args) as unknown[];
      this.created += out.length;
      return out;
    };
    copy.createTensor = (...args: unknown[]) => {
      this.created++;
      return call('createTensor', args);
    };
    copy.deleteTensor = (...args: unknown[]) => {
      this.deleted++;
      return call('deleteTensor', args);
    };
    backend.binding = copy;
  }

  /** Handles created minus handles deleted since the last reset. */
  get liveHandles(): number {
    return this.created - this.deleted;
  }

  reset(): void {
    this.ops.length = 0;
    this.created = 0;
    this.deleted = 0;
  }

  restore(): void {
    (tf.backend() as unknown as Backend).binding = this.original;
  }
}

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
