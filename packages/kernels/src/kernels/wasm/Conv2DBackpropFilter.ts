import * as tf from '@tensorflow/tfjs';
import type {
  Conv2DBackpropFilterAttrs,
  KernelConfig,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs';
import {heapIndex, type WasmBackend} from '../shared/wasm-backend.js';
import {zerosOutput} from '../shared/wasm-filled-output.js';

const backendName = 'wasm';

/**
 * Filter gradient of a 2-D convolution, missing from tfjs-backend-wasm (so CNNs could not train
 * there). Lowers to one matrix product on the wasm backend's own BatchMatMul (XNNPACK):
 * dW[(fh, fw, ci), co] = Σ_rows patchesᵀ[(fh, fw, ci), row] · dy[row, co], where a row is one
 * output position (b, oh, ow) and patchesᵀ is the transposed im2col matrix built on the heap.
 * Same summation set as the cpu kernel; the order differs, so results agree to float32 rounding.
 * With no output positions (batch 0, or an output smaller than one window) the sum is empty and
 * the gradient is zeros, as on the cpu backend.
 */
export const conv2DBackpropFilter: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, dy} = inputs as {x: TensorInfo; dy: TensorInfo};
  const {strides, pad, dataFormat, dimRoundingMode, filterShape} =
    attrs as unknown as Conv2DBackpropFilterAttrs;
  const wasm = backend as unknown as WasmBackend;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(dataFormat),
  );
  const channelsLast = info.dataFormat === 'channelsLast';
  const {batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels} = info;
  const {filterHeight, filterWidth, strideHeight, strideWidth} = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const rows = batchSize * outHeight * outWidth;
  const cols = filterHeight * filterWidth * inChannels;
  if (rows === 0 || cols === 0 || outChannels === 0) return zerosOutput(wasm, info.filterShape);

  const patchesT = wasm.makeOutput([1, cols, rows], 'float32');
  // dy as a [rows, outChannels] matrix: already that layout when channels are last.
  const dyRows = channelsLast ? null : wasm.makeOutput([1, rows, outChannels], 'float32');
  // Views after every allocation: a malloc may grow the heap and detach older views.
  const heap = wasm.wasm.HEAPF32;
  const xBase = heapIndex(wasm, x);
  const pBase = heapIndex(wasm, patchesT);
  // Strides of x in elements for (b, h, w, c) whatever the layout.
  const [sB, sH, sW, sC] = channelsLast
    ? [inHeight * inWidth * inChannels, inWidth * inChannels, inChannels, 1]
    : [inChannels * inHeight * inWidth, inWidth, 1, inHeight * inWidth];

  let p = pBase;
  for (let fh = 0; fh < filterHeight; fh++) {
    for (let fw = 0; fw < filterWidth; fw++) {
      for (let ci = 0; ci < inChannels; ci++) {
        for (let b = 0; b < batchSize; b++) {
          for (let oh = 0; oh < outHeight; oh++) {
            const ih = oh * strideHeight - top + fh;
            if (ih < 0 || ih >= inHeight) {
              heap.fill(0, p, p + outWidth);
              p += outWidth;
              continue;
            }
            const rowBase = xBase + b * sB + ih * sH + ci * sC;
            for (let ow = 0; ow < outWidth; ow++) {
              const iw = ow * strideWidth - left + fw;
              heap[p++] = iw >= 0 && iw < inWidth ? heap[rowBase + iw * sW]! : 0;
            }
          }
        }
      }
    }
  }
  if (dyRows != null) {
    // NCHW dy → [rows, outChannels].
    const dyBase = heapIndex(wasm, dy);
    const outBase = heapIndex(wasm, dyRows);
    const plane = outHeight * outWidth;
    for (let b = 0; b < batchSize; b++) {
      for (let co = 0; co < outChannels; co++) {
        const src = dyBase + (b * outChannels + co) * plane;
        for (let i = 0; i < plane; i++)
          heap[outBase + (b * plane + i) * outChannels + co] = heap[src + i]!;
      }
    }
  }
  const dyMatrix: TensorInfo = dyRows ?? {
    dataId: dy.dataId,
    shape: [1, rows, outChannels],
    dtype: 'float32',
  };
  const matMul = tf.getKernel('BatchMatMul', backendName)!.kernelFunc;
  const product = matMul({
    inputs: {a: patchesT, b: dyMatrix},
    backend,
    attrs: {transposeA: false, transposeB: false},
  }) as TensorInfo;
  wasm.disposeData(patchesT.dataId);
  if (dyRows != null) wasm.disposeData(dyRows.dataId);
  // [1, (fh, fw, ci), co] is already [fh, fw, ci, co] in memory.
  return {dataId: product.dataId, shape: [...info.filterShape], dtype: 'float32'};
};

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName,
  kernelFunc: conv2DBackpropFilter,
};
