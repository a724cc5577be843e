import {ieeeFormat} from './format-spec.js';

/** IEEE-754 binary32: 1 sign, 8 exponent, 23 mantissa bits. Rounding to it is the identity. */
export const FLOAT32 = ieeeFormat('float32', 32, 8, 23);
