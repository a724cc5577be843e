import * as tf from '@tensorflow/tfjs';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs';
import {originalKernel, replacedKernelConfig} from '../../native/overrides.js';
import type {WasmBackend} from './wasm-backend.js';
import {filledOutput} from './wasm-filled-output.js';

const backendName = 'wasm';

/**
 * Builds an override of one of tfjs-backend-wasm's reductions that fixes its empty case: when `x`
 * has no elements, the stock kernel skips its loop and returns the output's uninitialized heap
 * memory (stale values from an earlier tensor). Gradients hit this on every empty batch (a
 * bias's gradient is a Sum over the batch axis). The override returns what the cpu backend
 * returns instead, `emptyValue` everywhere, and delegates every other call to the stock kernel.
 * Only float32 inputs are handled; other dtypes go to the stock kernel unchanged.
 */
export function wasmEmptyReductionOverride(kernelName: string, emptyValue: number): KernelConfig {
  const kernelFunc: KernelFunc = ({inputs, backend, attrs}) => {
    const {x} = inputs as {x: TensorInfo};
    if (x.dtype !== 'float32' || tf.util.sizeFromShape(x.shape) !== 0) {
      return originalKernel(kernelName, backendName)({inputs, backend, attrs});
    }
    // Max names its axes `reductionIndices`; the other reductions name them `axis`.
    const {axis, reductionIndices, keepDims} = attrs as unknown as {
      axis?: number | number[];
      reductionIndices?: number | number[];
      keepDims: boolean;
    };
    const axes = tf.util.parseAxisParam((axis ?? reductionIndices)!, x.shape);
    const [outShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
    const shape = keepDims ? tf.backend_util.expandShapeToKeepDim(outShape, axes) : outShape;
    return filledOutput(backend as unknown as WasmBackend, shape, emptyValue);
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
