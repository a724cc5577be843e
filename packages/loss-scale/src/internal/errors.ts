// The error builders and warnOnce live once, in @tfjs-amp/kernels/shared (the same wording, and
// one set of already-warned keys, in every package).
export {
  describeValue,
  invalidChoice,
  outOfRange,
  warnOnce,
  wrongType,
} from '@tfjs-amp/kernels/shared';
