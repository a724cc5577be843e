import * as tf from '@tensorflow/tfjs';
import type {BatchMatMulAttrs, KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs';
import {originalKernel, replacedKernelConfig} from '../../native/overrides.js';
import type {WasmBackend} from '../shared/wasm-backend.js';
import {zerosOutput} from '../shared/wasm-filled-output.js';

const backendName = 'wasm';

/** Swaps the last two axes with the backend's own Transpose kernel. */
function transposeLastTwo(x: TensorInfo, backend: unknown): TensorInfo {
  const rank = x.shape.length;
  const perm = Array.from({length: rank}, (_, i) => i);
  perm[rank - 1] = rank - 2;
  perm[rank - 2] = rank - 1;
  const transpose = tf.getKernel(tf.Transpose, backendName)!.kernelFunc;
  return transpose({inputs: {x}, backend, attrs: {perm}} as never) as TensorInfo;
}

/**
 * Override of tfjs-backend-wasm's BatchMatMul. Its products with `transposeA` / `transposeB` miss
 * XNNPACK's fast path and run 5–10× slower than transposing first (measured on [64,784]ᵀ·[64,128]:
 * 14.3 → 1.3 ms; [64,128]·[784,128]ᵀ: 12.0 → 2.4 ms), and a Dense layer's backward pass is made of
 * exactly these products. So transposed operands are materialized with the backend's own
 * Transpose kernel and the plain product runs on its own BatchMatMul: the same products and sums,
 * in another order (results agree to float32 rounding, not bit for bit with stock tfjs).
 * An inner dimension of 0 gives zeros of the product's shape without calling XNNPACK, which
 * rejects that product (`XNN status … not successful`) and leaves the output uninitialized.
 */
export const batchMatMul: KernelFunc = ({inputs, backend, attrs}) => {
  const original = originalKernel(tf.BatchMatMul, backendName);
  const {a, b} = inputs as {a: TensorInfo; b: TensorInfo};
  const {transposeA, transposeB} = attrs as unknown as BatchMatMulAttrs;
  const inner = transposeA ? a.shape.at(-2) : a.shape.at(-1);
  if (inner === 0) {
    // An empty sum: every entry is 0 (XNNPACK fails here and returns stale heap memory).
    const rows = transposeA ? a.shape.at(-1)! : a.shape.at(-2)!;
    const cols = transposeB ? b.shape.at(-2)! : b.shape.at(-1)!;
    const outer = tf.broadcast_util.assertAndGetBroadcastShape(
      a.shape.slice(0, -2),
      b.shape.slice(0, -2),
    );
    return zerosOutput(backend as unknown as WasmBackend, [...outer, rows, cols]);
  }
  if (!transposeA && !transposeB) return original({inputs, backend, attrs});
  const plainA = transposeA ? transposeLastTwo(a, backend) : a;
  const plainB = transposeB ? transposeLastTwo(b, backend) : b;
  try {
    return original({
      inputs: {a: plainA, b: plainB},
      backend,
      attrs: {...attrs, transposeA: false, transposeB: false},
    });
  } finally {
    const wasm = backend as unknown as WasmBackend;
    if (plainA !== a) wasm.disposeData(plainA.dataId);
    if (plainB !== b) wasm.disposeData(plainB.dataId);
  }
};

export const batchMatMulConfig: KernelConfig = {
  kernelName: tf.BatchMatMul,
  backendName,
  // The stock kernel binds its wasm function in its setupFunc; it must still run once ours
  // has taken its place in the registry.
  setupFunc: (backend) => replacedKernelConfig(tf.BatchMatMul, backendName)?.setupFunc?.(backend),
  kernelFunc: batchMatMul,
};
