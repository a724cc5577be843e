import * as tf from '@tensorflow/tfjs';

/** The fields of tfjs-layers' LayerNormalization that the broadcasting call reads. */
interface LayerNormalizationFields {
  axis: number[];
  epsilon: number;
  gamma: tf.LayerVariable | null;
  beta: tf.LayerVariable | null;
}

/** tfjs-layers' LayerNormalization class (not exported by name), taken from an instance. */
const StockLayerNormalization = tf.layers.layerNormalization({}).constructor as new (
  args: object,
) => tf.layers.Layer;

/**
 * tfjs-layers' `LayerNormalization` with a `call` that broadcasts instead of tiling. The stock
 * call tiles the mean, variance, gamma and beta to the input's full shape (a workaround noted in
 * tfjs issue #2120), and tfjs's gradient of `Tile` adds one `Slice` per repetition: for a
 * `[64, 24, 64]` input that is 3,200 Slice and Add kernels per layer and step, which made a small
 * Transformer's training step take seconds on wasm. This call computes the same function,
 * `(x − mean) · rsqrt(variance + ε) · gamma + beta` over the layer's axes, with broadcasting ops
 * whose gradients are one reduction each. Class name, configuration and weights (`gamma`,
 * `beta`) are the stock layer's, so `@tfjs-amp/policy` keeps it float32 like any
 * LayerNormalization, and a saved model loads as the stock layer (same function).
 * @example new BroadcastLayerNormalization({epsilon: 1e-6}).apply(tf.ones([2, 3, 4]))
 */
export class BroadcastLayerNormalization extends StockLayerNormalization {
  /**
   * Layer options, exactly those of `tf.layers.layerNormalization` (`axis` default -1, `epsilon`
   * default 1e-3, `center`, `scale`, initializers, regularizers).
   */
  constructor(args: Parameters<typeof tf.layers.layerNormalization>[0]) {
    super(args ?? {});
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const {axis, epsilon, gamma, beta} = this as unknown as LayerNormalizationFields;
    return tf.tidy(() => {
      const {mean, variance} = tf.moments(x, axis, true);
      const broadcastShape = x.shape.map((d, i) => (axis.includes(i) ? d : 1));
      let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon)));
      if (gamma != null) y = tf.mul(y, tf.reshape(gamma.read(), broadcastShape));
      if (beta != null) y = tf.add(y, tf.reshape(beta.read(), broadcastShape));
      return y;
    });
  }
}
