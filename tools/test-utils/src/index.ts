export {
  describeBackends,
  isBackendAvailable,
  nodeBackendRequired,
  nodeBindingPresent,
  useBackend,
} from './backends.js';
export type {TestBackendName} from './backends.js';
export {expectBitsEqual, f32Bits, f32FromBits} from './bits.js';
export {expectNoLeaks, tensorCounts} from './leaks.js';
export type {TensorCounts} from './leaks.js';
