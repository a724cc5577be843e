// warnOnce lives once in src/shared/warn-once.ts (exported as @tfjs-amp/kernels/shared).
export {warnOnce} from '../shared/warn-once.js';
