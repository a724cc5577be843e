import {
  _FusedMatMul,
  type _FusedMatMulAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import {FUSED_ACTIVATIONS, type FusedActivation} from './wgsl/epilogue.js';
import {matMulProgram} from './wgsl/matmul-program.js';
import {matMulShape} from './wgsl/matmul-shape.js';
import {runWebGPUOverride, type WebGPUOverrideArgs} from './wgsl/run-webgpu-override.js';
import {runWgsl} from './wgsl/wgsl-program.js';

const backendName = 'webgpu';

/**
 * `_FusedMatMul` (a Dense layer: product, bias, activation) in float16 on the webgpu backend: the
 * float16 matmul of {@link batchMatMul} with the bias (length n or 1, rounded to float16) added
 * and the activation applied in the same shader, each result rounded to float16, as TF's float16
 * BiasAdd and activations on the `tensorflow` backend. `prelu` and other bias shapes: the
 * backend's own kernel. Its gradients are tfjs's closure, whose BatchMatMul calls follow the
 * format through the backward marks.
 */
export const fusedMatMul: KernelFunc = (args) => {
  const {a, b, bias, preluActivationWeights} = args.inputs as {
    a: TensorInfo;
    b: TensorInfo;
    bias?: TensorInfo;
    preluActivationWeights?: TensorInfo;
  };
  const {transposeA, transposeB, activation, leakyreluAlpha} =
    args.attrs as unknown as _FusedMatMulAttrs;
  return runWebGPUOverride(args as WebGPUOverrideArgs, {
    kernelName: _FusedMatMul,
    matrixInputs: [a, b],
    run: (backend) => {
      if (preluActivationWeights != null || !FUSED_ACTIVATIONS.has(activation ?? 'linear'))
        return null;
      const plan = matMulShape(a, b, transposeA === true, transposeB === true);
      if (plan == null) return null;
      let biasSize: number | null = null;
      if (bias != null) {
        biasSize = tf.util.sizeFromShape(bias.shape);
        if (bias.dtype !== 'float32' || (biasSize !== 1 && biasSize !== plan.shape.n)) return null;
      }
      const program = matMulProgram(plan.shape, {
        biasSize,
        activation: (activation ?? 'linear') as FusedActivation,
        leakyreluAlpha: leakyreluAlpha ?? 0.2,
      });
      return runWgsl(backend, program, bias == null ? [a, b] : [a, b, bias], plan.outShape);
    },
  });
};

export const fusedMatMulConfig: KernelConfig = {
  kernelName: _FusedMatMul,
  backendName,
  kernelFunc: fusedMatMul,
};
