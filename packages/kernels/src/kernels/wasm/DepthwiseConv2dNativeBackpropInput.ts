import * as tf from '@tensorflow/tfjs';
import type {
  DepthwiseConv2dNativeBackpropInputAttrs,
  KernelConfig,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs';
import {heapIndex, type WasmBackend} from '../shared/wasm-backend.js';

const backendName = 'wasm';

/**
 * Input gradient of a depthwise 2-D convolution (NHWC), missing from tfjs-backend-wasm. Each
 * input position gathers what it fed: dx[b, ih, iw, c] = Σ_{fh, fw, m} dy[b, oh, ow, c·M + m] ·
 * W[fh, fw, c, m] over the output positions (oh, ow) whose window put (ih, iw) under tap (fh, fw),
 * summed in float64 then stored.
 */
export const depthwiseConv2dNativeBackpropInput: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy, filter} = inputs as {dy: TensorInfo; filter: TensorInfo};
  const {strides, dilations, pad, dimRoundingMode, inputShape} =
    attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
  const wasm = backend as unknown as WasmBackend;
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  const {batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels} = info;
  const {filterHeight, filterWidth, strideHeight, strideWidth} = info;
  const {dilationHeight, dilationWidth} = info;
  const multiplier = outChannels / inChannels;
  const out = wasm.makeOutput([...inputShape], 'float32');
  const heap = wasm.wasm.HEAPF32;
  const dyBase = heapIndex(wasm, dy);
  const wBase = heapIndex(wasm, filter);
  const outBase = heapIndex(wasm, out);
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  for (let b = 0; b < batchSize; b++) {
    for (let ih = 0; ih < inHeight; ih++) {
      for (let iw = 0; iw < inWidth; iw++) {
        for (let c = 0; c < inChannels; c++) {
          let sum = 0;
          for (let fh = 0; fh < filterHeight; fh++) {
            // oh·strideH = ih + padTop − fh·dilationH must be a whole output row.
            const rowOffset = ih + top - fh * dilationHeight;
            if (rowOffset < 0 || rowOffset % strideHeight !== 0) continue;
            const oh = rowOffset / strideHeight;
            if (oh >= outHeight) continue;
            for (let fw = 0; fw < filterWidth; fw++) {
              const colOffset = iw + left - fw * dilationWidth;
              if (colOffset < 0 || colOffset % strideWidth !== 0) continue;
              const ow = colOffset / strideWidth;
              if (ow >= outWidth) continue;
              const dyAt =
                dyBase + ((b * outHeight + oh) * outWidth + ow) * outChannels + c * multiplier;
              const wAt = wBase + ((fh * filterWidth + fw) * inChannels + c) * multiplier;
              for (let m = 0; m < multiplier; m++) sum += heap[dyAt + m]! * heap[wAt + m]!;
            }
          }
          heap[outBase + ((b * inHeight + ih) * inWidth + iw) * inChannels + c] = sum;
        }
      }
    }
  }
  return out;
};

export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  backendName,
  kernelFunc: depthwiseConv2dNativeBackpropInput,
};
