import {
  BatchMatMul,
  type BatchMatMulAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import {runNativeOp} from '../../native/native-op.js';
import {type OverrideArgs, productMacs, runOverride} from '../../native/overrides.js';

const backendName = 'tensorflow';

/**
 * BatchMatMul (also what tfjs-node's `_FusedMatMul` runs through) in the compute format: TF's
 * `BatchMatMulV2` with `T = half | bfloat16` on inputs cast natively, result cast back to
 * float32. Outside a compute-format context: tfjs-node's own kernel.
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
      runNativeOp(
        node,
        'BatchMatMulV2',
        format,
        [
          {name: 'adj_x', type: node.binding.TF_ATTR_BOOL, value: transposeA === true},
          {name: 'adj_y', type: node.binding.TF_ATTR_BOOL, value: transposeB === true},
        ],
        [a, b],
      ),
  });
};

export const batchMatMulConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName,
  kernelFunc: batchMatMul,
};
