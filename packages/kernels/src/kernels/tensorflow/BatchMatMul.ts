import {
  BatchMatMul,
  type BatchMatMulAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import {runNativeProduct} from '../../native/half-product.js';
import {type OverrideArgs, productMacs, runOverride} from '../../native/overrides.js';

const backendName = 'tensorflow';

/**
 * BatchMatMul (also what tfjs-node's `_FusedMatMul` runs through) in the compute format: TF's
 * `MatMul` (two matrices) or `BatchMatMulV2` with `T = half | bfloat16` on inputs cast natively
 * (`runHalfProduct`), the result a float32 tensor whose data stays 16-bit until float32 code
 * reads it. Outside a compute-format context: tfjs-node's own kernel.
 */
export const batchMatMul: KernelFunc = (args) => {
  const {a, b} = args.inputs as {a: TensorInfo; b: TensorInfo};
  const {transposeA, transposeB} = args.attrs as unknown as BatchMatMulAttrs;
  return runOverride(args as OverrideArgs, {
    kernelName: BatchMatMul,
    backendName,
    op: 'BatchMatMulV2',
    matrixInputs: [a, b],
    macs: productMacs(a, b, transposeA === true),
    native: (node, format) =>
      runNativeProduct(node, format, a, b, transposeA === true, transposeB === true),
  });
};

export const batchMatMulConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName,
  kernelFunc: batchMatMul,
};
