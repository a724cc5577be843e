import * as tf from '@tensorflow/tfjs';

/** Options of {@link MultiHeadSelfAttention}. */
export interface MultiHeadSelfAttentionArgs {
  /** Attention heads; must divide the model width (the input's last axis). */
  numHeads: number;
  /** Seed of the Glorot-uniform initializers of the four projections. Default 0. */
  seed?: number;
  /** Layer name (tfjs makes one when absent). */
  name?: string;
}

/**
 * Multi-head self-attention over a `[batch, time, width]` sequence, as in "Attention Is All You
 * Need" and Keras's `MultiHeadAttention(num_heads, key_dim = width / num_heads)` called with
 * query = value = key: per head h, `softmax(Q_h K_hᵀ / √d_h) V_h` with `Q = x·Wq + bq` (likewise K,
 * V), the heads concatenated and projected by `Wo`, `bo`. No mask, no dropout. tfjs-layers has no
 * attention layer; this one is a plain custom layer whose weights are `addWeight` variables read
 * with `read()`, so `@tfjs-amp/policy` rounds its inputs, weights and outputs like any layer's
 * (its matrix products run under the layer's compute format). Serializable (registered as
 * `MultiHeadSelfAttention`).
 * @throws RangeError when `numHeads` is not a positive integer, or (at build) does not divide the
 * width.
 * @example
 * const attention = new MultiHeadSelfAttention({numHeads: 4});
 * attention.apply(tf.input({shape: [16, 32]})); // [null, 16, 32]
 */
export class MultiHeadSelfAttention extends tf.layers.Layer {
  /** The class name tfjs serializes. */
  static readonly className = 'MultiHeadSelfAttention';
  readonly numHeads: number;
  readonly seed: number;
  private wq: tf.LayerVariable | null = null;
  private wk: tf.LayerVariable | null = null;
  private wv: tf.LayerVariable | null = null;
  private wo: tf.LayerVariable | null = null;
  private bq: tf.LayerVariable | null = null;
  private bk: tf.LayerVariable | null = null;
  private bv: tf.LayerVariable | null = null;
  private bo: tf.LayerVariable | null = null;

  constructor(args: MultiHeadSelfAttentionArgs) {
    super(args.name == null ? {} : {name: args.name});
    if (!Number.isInteger(args.numHeads) || args.numHeads < 1) {
      throw new RangeError(
        `MultiHeadSelfAttention: numHeads must be a positive integer, got ${String(args.numHeads)}. Pass for instance numHeads: 4.`,
      );
    }
    this.numHeads = args.numHeads;
    this.seed = args.seed ?? 0;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const width = shape[shape.length - 1];
    if (width == null || width % this.numHeads !== 0) {
      throw new RangeError(
        `MultiHeadSelfAttention: the input width ${String(width)} must be a multiple of numHeads ${this.numHeads}. Change the width or numHeads.`,
      );
    }
    const kernel = (name: string, stream: number) =>
      this.addWeight(
        name,
        [width, width],
        'float32',
        tf.initializers.glorotUniform({seed: this.seed * 8 + stream}),
      );
    const bias = (name: string) =>
      this.addWeight(name, [width], 'float32', tf.initializers.zeros());
    this.wq = kernel('query_kernel', 0);
    this.bq = bias('query_bias');
    this.wk = kernel('key_kernel', 1);
    this.bk = bias('key_bias');
    this.wv = kernel('value_kernel', 2);
    this.bv = bias('value_bias');
    this.wo = kernel('output_kernel', 3);
    this.bo = bias('output_bias');
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const [batch, time, width] = x.shape as [number, number, number];
      const heads = this.numHeads;
      const headWidth = width / heads;
      const rows = tf.reshape(x, [batch * time, width]);
      // [batch·time, width] → [batch, heads, time, headWidth]
      const project = (w: tf.LayerVariable, b: tf.LayerVariable) =>
        tf.transpose(
          tf.reshape(tf.add(tf.matMul(rows, w.read()), b.read()), [batch, time, heads, headWidth]),
          [0, 2, 1, 3],
        );
      const q = project(this.wq!, this.bq!);
      const k = project(this.wk!, this.bk!);
      const v = project(this.wv!, this.bv!);
      const scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(headWidth));
      const context = tf.matMul(tf.softmax(scores), v); // [batch, heads, time, headWidth]
      const merged = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [batch * time, width]);
      const out = tf.add(tf.matMul(merged, this.wo!.read()), this.bo!.read());
      return tf.reshape(out, [batch, time, width]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {...super.getConfig(), numHeads: this.numHeads, seed: this.seed};
  }
}

tf.serialization.registerClass(MultiHeadSelfAttention);
