// One spy on tfjs-node's native binding for every package's tfjs-node tests: what ops tfjs-node
// asks libtensorflow to run, with their attributes and output shapes, and how many native handles
// come and go.
import * as tf from '@tensorflow/tfjs';

type Binding = Record<string, unknown>;

/** One op tfjs-node ran. */
export interface NativeOp {
  /** TF op name, e.g. `BatchMatMulV2`. */
  readonly op: string;
  /** Its `T` attribute (a TF_DataType) when it has one. */
  readonly dtype: number | undefined;
  /** Every attribute, by name (`T`, `SrcT`, `DstT`, `adj_x`, ...). */
  readonly attrs: Readonly<Record<string, unknown>>;
  /** The shape of each output. */
  readonly shapes: readonly (readonly number[])[];
}

/**
 * Records what tfjs-node asks libtensorflow to do while it is installed: every `executeOp`
 * ({@link NativeOp}), and the native handles created (op outputs, `createTensor`) and deleted
 * (`deleteTensor`). The addon's members are read-only, so the backend's `binding` is swapped for
 * a plain object with the same members (bound); `restore()` puts the addon back. Needs the
 * `tensorflow` backend active.
 * @example
 * const spy = new NativeOpSpy();
 * try { model.predict(x); } finally { spy.restore(); }
 * spy.records.map((r) => r.op) // ['BatchMatMulV2', 'AddV2', ...]
 */
export class NativeOpSpy {
  readonly records: NativeOp[] = [];
  created = 0;
  deleted = 0;
  private readonly original: Binding;

  constructor() {
    const backend = tf.backend() as unknown as {binding: Binding};
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
      const out = call('executeOp', args) as Array<{shape: number[]}>;
      const attrs = Object.fromEntries(
        (args[1] as Array<{name: string; value: unknown}>).map((a) => [a.name, a.value]),
      );
      this.records.push({
        op: args[0] as string,
        dtype: typeof attrs.T === 'number' ? attrs.T : undefined,
        attrs,
        shapes: out.map((o) => o.shape),
      });
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

  /** The op names recorded, in order. */
  get ops(): string[] {
    return this.records.map((r) => r.op);
  }

  /** Handles created minus handles deleted since the last reset. */
  get liveHandles(): number {
    return this.created - this.deleted;
  }

  reset(): void {
    this.records.length = 0;
    this.created = 0;
    this.deleted = 0;
  }

  restore(): void {
    (tf.backend() as unknown as {binding: Binding}).binding = this.original;
  }
}
