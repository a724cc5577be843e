/**
 * `@tfjs-amp/kernels/shared`: the one copy of the helpers every tfjs-amp package uses, so their
 * messages, statistics and machine facts agree. Side-effect free (no kernels are registered) and
 * browser-safe; Node-only helpers are in `@tfjs-amp/kernels/shared/node`. Made for the tfjs-amp
 * packages, which pin this package's exact version: its API may change in any release.
 */
export type {CpuFeatures} from '../native/cpu-features.js';
export {CPU_FLAGS_OF_INTEREST, cpuFeatures, parseCpuInfo} from '../native/cpu-features.js';
export {
  checkInteger,
  describeValue,
  invalidChoice,
  outOfRange,
  wrongType,
  wrongTypeOf,
} from './errors.js';
export {quantile, timeRatio} from './quantile.js';
export {warnOnce} from './warn-once.js';
