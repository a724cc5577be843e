import * as tf from '@tensorflow/tfjs';
import {type FormatName, nativeKernelReport} from '@tfjs-amp/kernels';
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

/** A layer's execution and the reason, for `describePolicy`. */
export interface LayerExecution {
  readonly execution: PolicyExecution;
  /** Why: the dispatch's reason for the first kernel that does not run natively, or what runs. */
  readonly detail: string;
}

/**
 * The one place that decides a layer's execution on the current backend: `native` when every
 * kernel its class needs runs natively in the format there (`nativeKernelReport` from
 * @tfjs-amp/kernels: the TF kernel exists, sums in float32 and is fast on this device), else
 * `emulated`, with the reason. `macs`, a Dense layer's multiply-adds for the call at hand
 * (rows · inputs · units), lets the dispatch run a small product natively where the format is not
 * faster in general (see `nativeKernelReport`'s `macs` option); without it, the answer for
 * products in general.
 */
export function layerExecution(
  layer: Layer,
  computeFormat: FormatName,
  macs?: number,
): LayerExecution {
  if (computeFormat === 'float32') return {execution: 'none', detail: 'computes in float32'};
  const kernels = NATIVE_LAYER_KERNELS[layer.getClassName()];
  if (kernels == null) {
    return {
      execution: 'emulated',
      detail:
        `${layer.getClassName()} is not a layer class tfjs-amp knows the kernels of: its cast ` +
        `points are emulated (any matrix kernel it calls still runs natively in ` +
        `${computeFormat} where the dispatch allows)`,
    };
  }
  const report = nativeKernelReport(computeFormat, tf.getBackend(), {macs});
  if (report.length === 0) {
    return {
      execution: 'emulated',
      detail: `the ${tf.getBackend()} backend has no native ${computeFormat} kernels`,
    };
  }
  const rejected = kernels
    .map((k) => report.find((r) => r.kernel === k))
    .find((r) => r == null || !r.native);
  if (rejected != null) return {execution: 'emulated', detail: rejected.detail};
  return {
    execution: 'native',
    detail: `${kernels.join(', ')} run natively in ${computeFormat}`,
  };
}
