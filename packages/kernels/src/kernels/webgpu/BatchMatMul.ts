import {
  BatchMatMul,
  type BatchMatMulAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import {matMulProgram} from './wgsl/matmul-program.js';
import {matMulShape} from './wgsl/matmul-shape.js';
import {runWebGPUOverride, type WebGPUOverrideArgs} from './wgsl/run-webgpu-override.js';
import {runWgsl} from './wgsl/wgsl-program.js';

const backendName = 'webgpu';

/**
 * BatchMatMul in float16 on the webgpu backend (WGSL `enable f16;`, see `matMulProgram`):
 * operands rounded to float16 and tiled as `f16`, float32 accumulation, result rounded to float16.
 * Outside a float16 compute context, or on a device without `shader-f16`: the backend's own
 * kernel. Batch dimensions must broadcast as one-to-many or equal (else the backend's kernel).
 */
export const batchMatMul: KernelFunc = (args) => {
  const {a, b} = args.inputs as {a: TensorInfo; b: TensorInfo};
  const {transposeA, transposeB} = args.attrs as unknown as BatchMatMulAttrs;
  return runWebGPUOverride(args as WebGPUOverrideArgs, {
    kernelName: BatchMatMul,
    matrixInputs: [a, b],
    run: (backend) => {
      const plan = matMulShape(a, b, transposeA === true, transposeB === true);
      if (plan == null) return null;
      return runWgsl(backend, matMulProgram(plan.shape, null), [a, b], plan.outShape);
    },
  });
};

export const batchMatMulConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName,
  kernelFunc: batchMatMul,
};
