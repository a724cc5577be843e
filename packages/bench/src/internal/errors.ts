// The error builders live once, in @tfjs-amp/kernels/shared (the same wording in every package).
export {
  checkInteger,
  describeValue,
  invalidChoice,
  outOfRange,
  wrongType,
} from '@tfjs-amp/kernels/shared';
