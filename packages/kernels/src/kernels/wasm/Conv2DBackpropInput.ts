import * as tf from '@tensorflow/tfjs';
import type {
  Conv2DBackpropInputAttrs,
  KernelConfig,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs';
import {originalKernel, replacedKernelConfig} from '../../native/overrides.js';
import {heapIndex, type WasmBackend} from '../shared/wasm-backend.js';
import {zerosOutput} from '../shared/wasm-filled-output.js';

const backendName = 'wasm';

/**
 * Override of tfjs-backend-wasm's `Conv2DBackpropInput` (the input gradient of a 2-D
 * convolution, also `conv2dTranspose`'s forward pass) for NHWC: the stock kernel loops over every
 * (input position, filter tap, output channel) without vectorizing and took 200 ms of a ResNet
 * step's 2.4 s per call (a [64, 32, 32, 16] input, 3×3×16×16 filter). This one lowers to one
 * matrix product on the backend's BatchMatMul (XNNPACK), then scatters (col2im):
 * cols[row, (fh, fw, ci)] = Σ_co dy[row, co] · W[fh, fw, ci, co], where a row is one output position
 * (b, oh, ow); dx[b, oh·sh − top + fh, ow·sw − left + fw, ci] += cols[row, (fh, fw, ci)] for taps
 * inside the input. Same products as the cpu kernel, summed in another order: equal to float32
 * rounding. No output positions (batch 0, an output smaller than one window) or no output
 * channels give zeros, as on cpu; an empty input gives an empty gradient. NCHW runs the stock
 * kernel.
 */
export const conv2DBackpropInput: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy, filter} = inputs as {dy: TensorInfo; filter: TensorInfo};
  const {strides, pad, dataFormat, dimRoundingMode, inputShape} =
    attrs as unknown as Conv2DBackpropInputAttrs;
  if (dataFormat === 'NCHW') {
    return originalKernel(tf.Conv2DBackpropInput, backendName)({inputs, backend, attrs});
  }
  const wasm = backend as unknown as WasmBackend;
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const {batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels} = info;
  const {filterHeight, filterWidth, strideHeight, strideWidth} = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const rows = batchSize * outHeight * outWidth;
  const cols = filterHeight * filterWidth * inChannels;
  const dx = zerosOutput(wasm, inputShape);
  if (rows === 0 || cols === 0 || outChannels === 0 || inHeight * inWidth === 0) return dx;

  const matMul = tf.getKernel('BatchMatMul', backendName)!.kernelFunc;
  const product = matMul({
    inputs: {
      a: {dataId: dy.dataId, shape: [1, rows, outChannels], dtype: 'float32'},
      b: {dataId: filter.dataId, shape: [1, cols, outChannels], dtype: 'float32'},
    },
    backend,
    attrs: {transposeA: false, transposeB: true},
  }) as TensorInfo;
  // Views after every allocation: a malloc may grow the heap and detach older views.
  const heap = wasm.wasm.HEAPF32;
  const dxBase = heapIndex(wasm, dx);
  let src = heapIndex(wasm, product);
  const tapStride = filterWidth * inChannels;
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++, src += cols) {
        for (let fh = 0; fh < filterHeight; fh++) {
          const ih = oh * strideHeight - top + fh;
          if (ih < 0 || ih >= inHeight) continue;
          const rowDst = dxBase + (b * inHeight + ih) * inWidth * inChannels;
          for (let fw = 0; fw < filterWidth; fw++) {
            const iw = ow * strideWidth - left + fw;
            if (iw < 0 || iw >= inWidth) continue;
            const dst = rowDst + iw * inChannels;
            const from = src + fh * tapStride + fw * inChannels;
            for (let ci = 0; ci < inChannels; ci++) heap[dst + ci]! += heap[from + ci]!;
          }
        }
      }
    }
  }
  wasm.disposeData(product.dataId);
  return dx;
};

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName,
  // The stock kernel (still run for NCHW) binds its wasm function in its setupFunc.
  setupFunc: (backend) =>
    replacedKernelConfig(tf.Conv2DBackpropInput, backendName)?.setupFunc?.(backend),
  kernelFunc: conv2DBackpropInput,
};
