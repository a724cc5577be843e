import {ieeeFormat} from './format-spec.js';

/** IEEE-754 binary16 (numpy `float16`, CUDA `half`): 1/5/10, max 65504, min subnormal 2^-24. */
export const FLOAT16 = ieeeFormat('float16', 16, 5, 10);
