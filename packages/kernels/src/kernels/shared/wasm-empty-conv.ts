import * as tf from '@tensorflow/tfjs';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs';
import {originalKernel, replacedKernelConfig} from '../../native/overrides.js';
import type {WasmBackend} from './wasm-backend.js';
import {filledOutput} from './wasm-filled-output.js';

const backendName = 'wasm';

/** What the four forward convolution kernels of tfjs share in their attributes. */
interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW' | null;
  dilations?: number | [number, number] | null;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** A dilation or stride attribute's [height, width]. */
function pair(v: number | [number, number] | null | undefined): [number, number] {
  return v == null ? [1, 1] : typeof v === 'number' ? [v, v] : v;
}

/**
 * True when the convolution certainly has a non-empty output and a non-empty sum, decided from
 * the shapes alone (so the common call skips computeConv2DInfo): `same` padding, or `valid`
 * padding with an input at least as large as the dilated window, and no zero-sized dimension.
 * False means "compute it" (explicit padding, or a shape that may be empty).
 */
function surelyNotEmpty(
  x: TensorInfo,
  filter: TensorInfo,
  attrs: ConvAttrs,
  depthwise: boolean,
): boolean {
  if (x.shape.includes(0) || filter.shape.includes(0)) return false;
  if (attrs.pad === 'same') return true;
  if (attrs.pad !== 'valid') return false;
  const channelsFirst = !depthwise && attrs.dataFormat === 'NCHW';
  const inHeight = x.shape[channelsFirst ? 2 : 1]!;
  const inWidth = x.shape[channelsFirst ? 3 : 2]!;
  const [dilationHeight, dilationWidth] = pair(attrs.dilations);
  const windowHeight = (filter.shape[0]! - 1) * dilationHeight + 1;
  const windowWidth = (filter.shape[1]! - 1) * dilationWidth + 1;
  return inHeight >= windowHeight && inWidth >= windowWidth;
}

/**
 * Builds an override of one of tfjs-backend-wasm's forward convolutions (`Conv2D`,
 * `FusedConv2D`, `DepthwiseConv2dNative`, `FusedDepthwiseConv2D`) that fixes its empty cases:
 * - an empty output (an input smaller than the window with `valid` padding): the stock kernel
 *   hands XNNPACK a 0-sized operator, which writes out of bounds and corrupts the wasm heap
 *   (later kernels then fail with "memory access out of bounds" or read garbage); the override
 *   returns the empty tensor without running it;
 * - an empty sum (0 input channels): the stock kernel returns stale heap memory; the override
 *   returns zeros, as the cpu backend does (fused: the stock kernel runs on one channel of zeros,
 *   so its bias and activation apply to 0).
 * Every other call runs the stock kernel.
 */
export function wasmEmptyConvOverride(
  kernelName: string,
  {depthwise, fused}: {depthwise: boolean; fused: boolean},
): KernelConfig {
  const kernelFunc: KernelFunc = ({inputs, backend, attrs}) => {
    const {x, filter} = inputs as {x: TensorInfo; filter: TensorInfo};
    // Layers pass null for unset dilations and data format: default them here.
    const {strides, pad, dataFormat, dilations, dimRoundingMode} = attrs as unknown as ConvAttrs;
    if (surelyNotEmpty(x, filter, attrs as unknown as ConvAttrs, depthwise)) {
      return originalKernel(kernelName, backendName)({inputs, backend, attrs});
    }
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      strides,
      dilations ?? 1,
      pad,
      dimRoundingMode,
      depthwise,
      tf.backend_util.convertConv2DDataFormat(dataFormat ?? 'NHWC'),
    );
    const wasm = backend as unknown as WasmBackend;
    if (tf.util.sizeFromShape(info.outShape) === 0)
      return wasm.makeOutput(info.outShape, 'float32');
    if (x.dtype === 'float32' && tf.util.sizeFromShape(filter.shape) === 0) {
      if (!fused) return filledOutput(wasm, info.outShape, 0);
      // Fused: activation(0 + bias) needs the stock epilogue. One input channel of zeros gives
      // the same empty-sum value (0) through it.
      const [n, h, w] = [info.batchSize, info.inHeight, info.inWidth];
      const channelsFirst = info.dataFormat === 'channelsFirst';
      const zeroX = filledOutput(wasm, channelsFirst ? [n, 1, h, w] : [n, h, w, 1], 0);
      const [fh, fw, , out] = filter.shape as [number, number, number, number];
      const zeroFilter = filledOutput(wasm, [fh, fw, 1, out], 0);
      try {
        return originalKernel(
          kernelName,
          backendName,
        )({
          inputs: {...inputs, x: zeroX, filter: zeroFilter},
          backend,
          attrs,
        });
      } finally {
        wasm.disposeData(zeroX.dataId);
        wasm.disposeData(zeroFilter.dataId);
      }
    }
    return originalKernel(kernelName, backendName)({inputs, backend, attrs});
  };
  return {
    kernelName,
    backendName,
    // The stock kernel binds its wasm function in its setupFunc; it must still run once ours
    // has taken its place in the registry.
    setupFunc: (backend) => replacedKernelConfig(kernelName, backendName)?.setupFunc?.(backend),
    kernelFunc,
  };
}
