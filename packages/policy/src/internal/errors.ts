// The error builders live once, in @tfjs-amp/kernels/shared (the same wording in every package).
export {describeValue, invalidChoice, wrongType} from '@tfjs-amp/kernels/shared';
