import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import {AmpQuantize} from '../../kernel-names.js';
import {ampQuantize as genericAmpQuantize} from '../generic/AmpQuantize.js';
import {quantizeKernelInput} from '../shared/kernel-input.js';
import {stochasticSeed} from '../shared/stochastic-round.js';
import {wgslFloat16} from './wgsl/wgsl-float16.js';
import {asWebGPUBackend, entryPoint, runWgsl} from './wgsl/wgsl-program.js';

const backendName = 'webgpu';

/**
 * AmpQuantize on the webgpu backend. float16 with round-to-nearest: one WGSL pass of integer
 * arithmetic on the float32 bit patterns (`wgslFloat16`), read and written as `u32`, so it is
 * bit-exact with `roundArray` (subnormals, ties to even, overflow and saturation, NaN sign and
 * payload) on every device, whatever its float arithmetic does, and needs no `shader-f16` (no
 * `f16` value is formed). Other formats and stochastic rounding: the generic kernel.
 */
export const ampQuantize: KernelFunc = (args) => {
  const {x} = args.inputs as {x: TensorInfo};
  const {spec, plan} = quantizeKernelInput(x, args.attrs);
  const backend = asWebGPUBackend(args.backend);
  const size = tf.util.sizeFromShape(x.shape);
  if (
    spec.name !== 'float16' ||
    stochasticSeed(args.attrs) != null ||
    backend == null ||
    size === 0
  ) {
    return genericAmpQuantize(args);
  }
  const saturate = plan.key.endsWith('/saturate');
  const code = `${wgslFloat16(saturate, false)}
@group(0) @binding(0) var<storage, read_write> y: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<u32>;

fn run(i: u32) {
  y[i] = ampRound16(x[i]);
}

${entryPoint(size)}`;
  return (
    runWgsl(backend, {name: 'AmpQuantizeFloat16', code, threads: size}, [x], x.shape.slice()) ??
    genericAmpQuantize(args)
  );
};

export const ampQuantizeConfig: KernelConfig = {
  kernelName: AmpQuantize,
  backendName,
  kernelFunc: ampQuantize,
};
