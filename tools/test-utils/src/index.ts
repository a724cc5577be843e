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
export {
  compareRuns,
  compareSeries,
  formatComparisons,
  formatRatio,
  machineLine,
  reportComparisons,
  reportSeries,
  timeStats,
} from './compare-runs.js';
export type {
  BenchSide,
  CompareRunsOptions,
  ComparisonRow,
  Series,
  TimeStats,
} from './compare-runs.js';
export {expectNoLeaks, tensorCounts} from './leaks.js';
export {NativeOpSpy} from './native-ops.js';
export type {NativeOp} from './native-ops.js';
export {
  describeReadmeSamples,
  README_SKIP_MARKER,
  readmeSamples,
  runQuietly,
  runReadmeSample,
} from './readme-samples.js';
export type {ReadmeSample} from './readme-samples.js';
export type {TensorCounts} from './leaks.js';
