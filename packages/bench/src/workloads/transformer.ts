import * as tf from '@tensorflow/tfjs';
import {deriveSeed} from '../internal/prng.js';
import {
  MAJORITY_DATA_DESCRIPTION,
  MAJORITY_LENGTH,
  MAJORITY_VOCABULARY,
  majorityToken,
} from './majority-token.js';
import {BroadcastLayerNormalization} from './broadcast-layer-normalization.js';
import {MultiHeadSelfAttention} from './multi-head-self-attention.js';
import {PositionEmbedding} from './position-embedding.js';
import type {Workload} from './workload.js';

/** Width, heads, MLP width and encoder blocks of the `transformer` workload. */
export const TRANSFORMER_SIZE = Object.freeze({width: 64, heads: 4, mlpWidth: 128, blocks: 2});

/**
 * A small Transformer encoder classifier (BERT of the seed's experiments, scaled down): token
 * Embedding (width 64) plus a learned position embedding, two post-LayerNorm encoder blocks
 * (x = LayerNorm(x + MultiHeadSelfAttention(x)), x = LayerNorm(x + Dense(Dense_relu(x)))), each
 * with 4 heads and an MLP of 128, then mean pooling over time and Dense softmax. About 68 k
 * parameters. The attention is {@link MultiHeadSelfAttention}, a custom layer (tfjs-layers has
 * none). The LayerNormalization is tfjs's with a broadcasting call ({@link
 * BroadcastLayerNormalization}): the stock one's tiling made a training step take seconds.
 */
export function buildTransformer(seed: number): tf.LayersModel {
  const {width, heads, mlpWidth, blocks} = TRANSFORMER_SIZE;
  let stream = 0;
  const next = () => deriveSeed(seed, stream++);
  const glorot = () => tf.initializers.glorotUniform({seed: next()});
  const input = tf.input({shape: [MAJORITY_LENGTH]});
  const tokens = tf.layers
    .embedding({
      inputDim: MAJORITY_VOCABULARY,
      outputDim: width,
      embeddingsInitializer: tf.initializers.randomNormal({mean: 0, stddev: 0.1, seed: next()}),
    })
    .apply(input) as tf.SymbolicTensor;
  let x = new PositionEmbedding({seed: next()}).apply(tokens) as tf.SymbolicTensor;
  const addNorm = (a: tf.SymbolicTensor, b: tf.SymbolicTensor) =>
    new BroadcastLayerNormalization({epsilon: 1e-6}).apply(
      tf.layers.add().apply([a, b]) as tf.SymbolicTensor,
    ) as tf.SymbolicTensor;
  for (let block = 0; block < blocks; block++) {
    const attended = new MultiHeadSelfAttention({numHeads: heads, seed: next()}).apply(
      x,
    ) as tf.SymbolicTensor;
    x = addNorm(x, attended);
    const hidden = tf.layers
      .dense({units: mlpWidth, activation: 'relu', kernelInitializer: glorot()})
      .apply(x) as tf.SymbolicTensor;
    const mlp = tf.layers
      .dense({units: width, kernelInitializer: glorot()})
      .apply(hidden) as tf.SymbolicTensor;
    x = addNorm(x, mlp);
  }
  const pooled = tf.layers.globalAveragePooling1d({}).apply(x) as tf.SymbolicTensor;
  const output = tf.layers
    .dense({units: MAJORITY_VOCABULARY, activation: 'softmax', kernelInitializer: glorot()})
    .apply(pooled) as tf.SymbolicTensor;
  return tf.model({inputs: input, outputs: output, name: 'transformer'});
}

/**
 * The `transformer` workload: {@link buildTransformer} on the majority-token task (see
 * `majorityToken`: no npm package here ships a corpus), batch 64. Training it on wasm needs the
 * `UnsortedSegmentSum` kernel (the Embedding gradient) that `@tfjs-amp/kernels` registers.
 */
export const transformerWorkload: Workload = Object.freeze<Workload>({
  name: 'transformer',
  description: `Transformer encoder: Embedding${TRANSFORMER_SIZE.width}+positions, ${TRANSFORMER_SIZE.blocks}× (MultiHeadSelfAttention ${TRANSFORMER_SIZE.heads} heads, LayerNorm, MLP ${TRANSFORMER_SIZE.mlpWidth}), mean pool, Dense${MAJORITY_VOCABULARY}; AdamW`,
  dataDescription: MAJORITY_DATA_DESCRIPTION,
  learningRate: 1e-3,
  optimizer: 'adamw',
  batchSize: 64,
  buildModel: buildTransformer,
  loadData: majorityToken,
});
