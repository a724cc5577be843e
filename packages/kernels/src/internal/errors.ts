// The error builders live once in src/shared/errors.ts (exported as @tfjs-amp/kernels/shared).
export {describeValue, invalidChoice, outOfRange, wrongType} from '../shared/errors.js';
