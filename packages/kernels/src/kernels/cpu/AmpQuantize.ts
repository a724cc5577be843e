import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs';
import {getFormat} from '../../formats/index.js';
import {AmpQuantize, type AmpQuantizeAttrs} from '../../kernel-names.js';
import {bitRounder} from '../shared/round-bits.js';
import {bitsOf} from '../shared/typed-views.js';

const backendName = 'cpu';

/** The slice of tfjs-backend-cpu's MathBackendCPU this kernel uses. */
interface CpuBackend {
  readSync(dataId: object): Float32Array;
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

/** Rounds with typed-array bit manipulation over the cpu backend's own buffers. */
export const ampQuantize: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as {x: TensorInfo};
  const {format, saturate} = attrs as unknown as AmpQuantizeAttrs;
  const cpu = backend as unknown as CpuBackend;
  const src = cpu.readSync(x.dataId);
  const out = new Float32Array(src.length);
  bitRounder(getFormat(format), saturate)(bitsOf(src), bitsOf(out));
  return cpu.makeTensorInfo(x.shape.slice(), 'float32', out);
};

export const ampQuantizeConfig: KernelConfig = {
  kernelName: AmpQuantize,
  backendName,
  kernelFunc: ampQuantize,
};
