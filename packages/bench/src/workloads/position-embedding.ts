import * as tf from '@tensorflow/tfjs';

/** Options of {@link PositionEmbedding}. */
export interface PositionEmbeddingArgs {
  /** Seed of the N(0, 0.02²) initializer. Default 0. */
  seed?: number;
  /** Layer name (tfjs makes one when absent). */
  name?: string;
}

/**
 * Adds a learned embedding of each position to a `[batch, time, width]` sequence (as BERT does;
 * Keras-hub's `PositionEmbedding` added to the token embedding): one `[time, width]` weight, read
 * with `read()` so `@tfjs-amp/policy` covers it. The sequence length is fixed at build.
 * Serializable (registered as `PositionEmbedding`).
 * @example tf.sequential({layers: [tf.layers.embedding({inputDim: 10, outputDim: 8, inputLength: 5}), new PositionEmbedding({})]})
 */
export class PositionEmbedding extends tf.layers.Layer {
  /** The class name tfjs serializes. */
  static readonly className = 'PositionEmbedding';
  readonly seed: number;
  private positions: tf.LayerVariable | null = null;

  constructor(args: PositionEmbeddingArgs) {
    super(args.name == null ? {} : {name: args.name});
    this.seed = args.seed ?? 0;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const [time, width] = shape.slice(-2);
    if (time == null || width == null) {
      throw new RangeError(
        `PositionEmbedding: the sequence length and width must be known at build, got shape [${shape.join(', ')}]. Give the Input layer a fixed shape.`,
      );
    }
    this.positions = this.addWeight(
      'positions',
      [time, width],
      'float32',
      tf.initializers.randomNormal({mean: 0, stddev: 0.02, seed: this.seed}),
    );
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    return tf.add(x, this.positions!.read());
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {...super.getConfig(), seed: this.seed};
  }
}

tf.serialization.registerClass(PositionEmbedding);
