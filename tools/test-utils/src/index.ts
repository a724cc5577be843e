export {
  announceSkip,
  describeBackends,
  describeWithTfjsNode,
  isBackendAvailable,
  nodeBackendRequired,
  nodeBindingPresent,
  TFJS_NODE_HOW_TO_INCLUDE,
  useBackend,
} from './backends.js';
export type {TestBackendName} from './backends.js';
export {expectBitsEqual, f32Bits, f32FromBits} from './bits.js';
export {expectNoLeaks, tensorCounts} from './leaks.js';
export type {TensorCounts} from './leaks.js';
