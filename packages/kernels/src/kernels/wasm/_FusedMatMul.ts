import * as tf from '@tensorflow/tfjs';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs';
import {originalKernel, replacedKernelConfig} from '../../native/overrides.js';
import type {WasmBackend} from '../shared/wasm-backend.js';
import {filledOutput} from '../shared/wasm-filled-output.js';

const backendName = 'wasm';
const kernelName = tf._FusedMatMul;

/**
 * Override of tfjs-backend-wasm's `_FusedMatMul` (Dense layers' forward product) for an inner
 * dimension of 0: the stock kernel returns stale heap memory there, where the cpu backend returns
 * activation(0 + bias). The override runs the stock kernel on operands with one inner element of
 * zeros, which gives exactly that through the stock bias and activation epilogue. Every other
 * call runs the stock kernel unchanged.
 */
export const fusedMatMul: KernelFunc = ({inputs, backend, attrs}) => {
  const {a, b} = inputs as {a: TensorInfo; b: TensorInfo};
  const {transposeA, transposeB} = attrs as unknown as {transposeA: boolean; transposeB: boolean};
  const inner = transposeA ? a.shape.at(-2) : a.shape.at(-1);
  const original = originalKernel(kernelName, backendName);
  if (inner !== 0 || a.dtype !== 'float32') return original({inputs, backend, attrs});
  const wasm = backend as unknown as WasmBackend;
  const rows = transposeA ? a.shape.at(-1)! : a.shape.at(-2)!;
  const cols = transposeB ? b.shape.at(-2)! : b.shape.at(-1)!;
  const zeroA = filledOutput(wasm, [...a.shape.slice(0, -2), rows, 1], 0);
  const zeroB = filledOutput(wasm, [...b.shape.slice(0, -2), 1, cols], 0);
  try {
    return original({
      inputs: {...inputs, a: zeroA, b: zeroB},
      backend,
      attrs: {...attrs, transposeA: false, transposeB: false},
    });
  } finally {
    wasm.disposeData(zeroA.dataId);
    wasm.disposeData(zeroB.dataId);
  }
};

export const fusedMatMulConfig: KernelConfig = {
  kernelName,
  backendName,
  // The stock kernel binds its wasm function in its setupFunc; it must still run once ours
  // has taken its place in the registry.
  setupFunc: (backend) => replacedKernelConfig(kernelName, backendName)?.setupFunc?.(backend),
  kernelFunc: fusedMatMul,
};
