import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs';
import {AmpQuantize} from '../../kernel-names.js';
import {quantizeKernelInput} from '../shared/kernel-input.js';
import {roundFloat32} from '../../rounding/round-bits.js';
import {stochasticRoundFloat32, stochasticSeed} from '../shared/stochastic-round.js';

const backendName = 'cpu';

/** The slice of tfjs-backend-cpu's MathBackendCPU this kernel uses (typed by shape, not imported). */
interface CpuBackend {
  readSync(dataId: object): Float32Array;
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

/**
 * Rounds with typed-array bit manipulation (`roundFloat32`) from the cpu backend's own buffer
 * into a new one; no copies besides the output. Stochastic mode: `stochasticRoundFloat32`.
 */
export const ampQuantize: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as {x: TensorInfo};
  const {spec, plan} = quantizeKernelInput(x, attrs);
  const seed = stochasticSeed(attrs);
  const cpu = backend as unknown as CpuBackend;
  const src = cpu.readSync(x.dataId);
  const out = new Float32Array(src.length);
  if (seed == null) roundFloat32(src, out, plan);
  else stochasticRoundFloat32(src, out, spec, plan, seed);
  return cpu.makeTensorInfo(x.shape.slice(), 'float32', out);
};

export const ampQuantizeConfig: KernelConfig = {
  kernelName: AmpQuantize,
  backendName,
  kernelFunc: ampQuantize,
};
