// The top of the layering (as tfjs's register_all_kernels/gradients): ops depend on the kernel
// registry (kernels/register-kernels.ts), never the reverse, and this file wires both together.
import * as tf from '@tensorflow/tfjs';
import {registerBackendKernels} from './kernels/register-kernels.js';
import {fusedConv2dGradConfig} from './ops/fused-conv2d.js';
import {fusedMatMulGradConfig} from './ops/fused-mat-mul.js';
import {quantizeGradConfig} from './ops/quantize-grad.js';

/**
 * Registers tfjs-amp's kernels and gradients with the tfjs kernel registry: specific kernels for
 * cpu, wasm, tensorflow and webgpu, generic ones for the other known backends, and the gradients
 * of `quantize`, `fusedMatMul` and `fusedConv2d`. Runs on import of `@tfjs-amp/kernels`; safe to
 * call again (already-registered kernels and gradients are left alone, so another package's
 * native kernel for a backend wins if it registered first).
 * @example registerAmpKernels(); // after tf.registerBackend of a backend added late
 */
export function registerAmpKernels(): void {
  registerBackendKernels();
  for (const grad of [quantizeGradConfig, fusedMatMulGradConfig, fusedConv2dGradConfig]) {
    if (tf.getGradient(grad.kernelName) == null) tf.registerGradient(grad);
  }
}
