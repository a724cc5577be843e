import * as tf from '@tensorflow/tfjs';
import type {
  DepthwiseConv2dNativeBackpropFilterAttrs,
  KernelConfig,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs';
import {heapIndex, type WasmBackend} from '../shared/wasm-backend.js';

const backendName = 'wasm';

/**
 * Filter gradient of a depthwise 2-D convolution (NHWC), missing from tfjs-backend-wasm, so
 * depthwise and separable convolutions could not train there. Direct loops over the wasm heap:
 * dW[fh, fw, c, m] = Σ_{b, oh, ow} x[b, ih, iw, c] · dy[b, oh, ow, c·M + m], with
 * ih = oh·strideH − padTop + fh·dilationH (likewise iw), summed in float64 then stored.
 */
export const depthwiseConv2dNativeBackpropFilter: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, dy} = inputs as {x: TensorInfo; dy: TensorInfo};
  const {strides, dilations, pad, dimRoundingMode, filterShape} =
    attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
  const wasm = backend as unknown as WasmBackend;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
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
  const out = wasm.makeOutput([...info.filterShape], 'float32');
  // Views after the allocation: a malloc may grow the heap and detach older views.
  const heap = wasm.wasm.HEAPF32;
  const xBase = heapIndex(wasm, x);
  const dyBase = heapIndex(wasm, dy);
  const outBase = heapIndex(wasm, out);
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  for (let fh = 0; fh < filterHeight; fh++) {
    for (let fw = 0; fw < filterWidth; fw++) {
      for (let c = 0; c < inChannels; c++) {
        for (let m = 0; m < multiplier; m++) {
          const oc = c * multiplier + m;
          let sum = 0;
          for (let b = 0; b < batchSize; b++) {
            for (let oh = 0; oh < outHeight; oh++) {
              const ih = oh * strideHeight - top + fh * dilationHeight;
              if (ih < 0 || ih >= inHeight) continue;
              const xRow = xBase + (b * inHeight + ih) * inWidth * inChannels + c;
              const dyRow = dyBase + (b * outHeight + oh) * outWidth * outChannels + oc;
              for (let ow = 0; ow < outWidth; ow++) {
                const iw = ow * strideWidth - left + fw * dilationWidth;
                if (iw < 0 || iw >= inWidth) continue;
                sum += heap[xRow + iw * inChannels]! * heap[dyRow + ow * outChannels]!;
              }
            }
          }
          heap[outBase + ((fh * filterWidth + fw) * inChannels + c) * multiplier + m] = sum;
        }
      }
    }
  }
  return out;
};

export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  backendName,
  kernelFunc: depthwiseConv2dNativeBackpropFilter,
};
