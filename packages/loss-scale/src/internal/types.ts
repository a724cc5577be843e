import type {Tensor} from '@tensorflow/tfjs';

/** tfjs-core's `NamedTensor` (`{name, tensor}`), which `@tensorflow/tfjs` does not export. */
export interface NamedTensor {
  name: string;
  tensor: Tensor;
}
