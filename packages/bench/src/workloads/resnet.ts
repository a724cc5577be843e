import * as tf from '@tensorflow/tfjs';
import {deriveSeed} from '../internal/prng.js';
import {
  GRATING_CHANNELS,
  GRATING_CLASSES,
  GRATING_SIZE,
  GRATINGS_DATA_DESCRIPTION,
  orientedGratings,
} from './oriented-gratings.js';
import type {Workload} from './workload.js';

/** Filters of the stem and of each stage of the `resnet` workload (stages 2 and 3 halve the size). */
export const RESNET_STAGE_FILTERS: readonly number[] = Object.freeze([8, 16, 32]);

/**
 * A ResNet-style CNN (ResNet-18 on CIFAR-10 of the seed's experiments, scaled down): Conv 3×3×8
 * (no bias) → BatchNorm → ReLU, then one basic residual block per stage of 8, 16 and 32 filters
 * (Conv 3×3 → BN → ReLU → Conv 3×3 → BN, added to the shortcut, then ReLU; stages 2 and 3 start
 * with stride 2 and a 1×1 Conv + BN projection shortcut), global average pooling, Dense 10
 * softmax. About 20 k parameters on 32 × 32 × 3 inputs, batch 64: narrow enough that a step
 * takes about a second on wasm on a shared 2-core machine.
 */
export function buildResnet(seed: number): tf.LayersModel {
  let stream = 0;
  const init = () => tf.initializers.heNormal({seed: deriveSeed(seed, stream++)});
  const conv = (x: tf.SymbolicTensor, filters: number, kernelSize: number, strides: number) =>
    tf.layers
      .conv2d({
        filters,
        kernelSize,
        strides,
        padding: 'same',
        useBias: false,
        kernelInitializer: init(),
      })
      .apply(x) as tf.SymbolicTensor;
  const bn = (x: tf.SymbolicTensor) =>
    tf.layers.batchNormalization({momentum: 0.9}).apply(x) as tf.SymbolicTensor;
  const relu = (x: tf.SymbolicTensor) =>
    tf.layers.activation({activation: 'relu'}).apply(x) as tf.SymbolicTensor;

  const input = tf.input({shape: [GRATING_SIZE, GRATING_SIZE, GRATING_CHANNELS]});
  let x = relu(bn(conv(input, RESNET_STAGE_FILTERS[0]!, 3, 1)));
  RESNET_STAGE_FILTERS.forEach((filters, stage) => {
    const strides = stage === 0 ? 1 : 2;
    const body = bn(conv(relu(bn(conv(x, filters, 3, strides))), filters, 3, 1));
    const shortcut = stage === 0 ? x : bn(conv(x, filters, 1, strides));
    x = relu(tf.layers.add().apply([body, shortcut]) as tf.SymbolicTensor);
  });
  const pooled = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const output = tf.layers
    .dense({
      units: GRATING_CLASSES,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({seed: deriveSeed(seed, stream++)}),
    })
    .apply(pooled) as tf.SymbolicTensor;
  return tf.model({inputs: input, outputs: output, name: 'resnet'});
}

/**
 * The `resnet` workload: {@link buildResnet} on CIFAR-10-shaped synthetic gratings (see
 * `orientedGratings`: no npm package ships CIFAR-10), batch 64. Training it on wasm needs the
 * convolution gradient kernels `@tfjs-amp/kernels` registers.
 */
export const resnetWorkload: Workload = Object.freeze<Workload>({
  name: 'resnet',
  description: `ResNet-style CNN: Conv3x3x8-BN, 3 residual blocks (${RESNET_STAGE_FILTERS.join('/')} filters, BatchNorm, 1x1 projections), GAP, Dense10; AdamW`,
  dataDescription: GRATINGS_DATA_DESCRIPTION,
  learningRate: 2e-3,
  optimizer: 'adamw',
  batchSize: 64,
  buildModel: buildResnet,
  loadData: orientedGratings,
});
