import * as tf from '@tensorflow/tfjs';
import type {MaxPoolAttrs, NamedAttrMap} from '@tensorflow/tfjs';
import type {TfBinding, TfOpAttr} from '../../native/binding.js';

/**
 * TF's MaxPool / MaxPoolGrad attributes (NHWC ksize, strides, padding) for a tfjs pooling kernel
 * on input of `inShape`, and whether its windows are disjoint (strides at least the window); null
 * for what a native 16-bit kernel does not take (explicit padding, channels first).
 */
export function tfPoolAttrs(
  binding: TfBinding,
  inShape: readonly number[],
  attrs: NamedAttrMap | undefined,
): {attrs: TfOpAttr[]; disjoint: boolean} | null {
  const {filterSize, strides, pad, dimRoundingMode} = attrs as unknown as MaxPoolAttrs; // MaxPoolGrad's are the same
  const info = tf.backend_util.computePool2DInfo(
    inShape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const padding = info.padInfo.type;
  if ((padding !== 'VALID' && padding !== 'SAME') || info.dataFormat !== 'channelsLast') {
    return null;
  }
  return {
    attrs: [
      {
        name: 'ksize',
        type: binding.TF_ATTR_INT,
        value: [1, info.filterHeight, info.filterWidth, 1],
      },
      {
        name: 'strides',
        type: binding.TF_ATTR_INT,
        value: [1, info.strideHeight, info.strideWidth, 1],
      },
      {name: 'padding', type: binding.TF_ATTR_STRING, value: padding},
      {name: 'data_format', type: binding.TF_ATTR_STRING, value: 'NHWC'},
    ],
    disjoint: info.strideHeight >= info.filterHeight && info.strideWidth >= info.filterWidth,
  };
}
