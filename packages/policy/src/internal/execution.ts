import * as tf from '@tensorflow/tfjs';
import {type FormatName, nativeKernelSupport} from '@tfjs-amp/kernels';
import type {Layer} from './layer-walk.js';

/**
 * How a layer's compute format is carried out: `native` (its matrix work runs in the format
 * inside libtensorflow, on tfjs-node, forward and backward), `emulated` (float32 arithmetic with
 * values rounded at the cast points, on any backend) or `none` (the layer computes in float32).
 */
export type PolicyExecution = 'native' | 'emulated' | 'none';

const MATMUL = ['BatchMatMul', '_FusedMatMul'];
const CONV = ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'FusedConv2D'];
const DEPTHWISE = [
  'DepthwiseConv2dNative',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
];

/** Kernels (forward and backward) that must all run natively for a layer class to count as native. */
const NATIVE_LAYER_KERNELS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  Conv1D: CONV,
  Conv2D: CONV,
  Conv2DTranspose: CONV,
  Dense: MATMUL,
  DepthwiseConv2D: DEPTHWISE,
  GRU: MATMUL,
  GRUCell: MATMUL,
  LSTM: MATMUL,
  LSTMCell: MATMUL,
  SeparableConv2D: [...DEPTHWISE, ...CONV],
  SimpleRNN: MATMUL,
  SimpleRNNCell: MATMUL,
});

/**
 * The one place that decides a layer's execution on the current backend: `native` when every
 * kernel its class needs runs natively in the format there (`nativeKernelSupport` from
 * @tfjs-amp/kernels, probed once per device), else `emulated`.
 */
export function layerExecution(layer: Layer, computeFormat: FormatName): PolicyExecution {
  if (computeFormat === 'float32') return 'none';
  const kernels = NATIVE_LAYER_KERNELS[layer.getClassName()];
  if (kernels == null) return 'emulated';
  const native = nativeKernelSupport(computeFormat, tf.getBackend());
  return kernels.every((k) => native.includes(k)) ? 'native' : 'emulated';
}
