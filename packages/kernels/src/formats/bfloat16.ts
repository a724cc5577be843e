import {ieeeFormat} from './format-spec.js';

/** Brain float (ml_dtypes `bfloat16`): 1/8/7, the top half of a float32; same range, 8 bits of precision. */
export const BFLOAT16 = ieeeFormat('bfloat16', 16, 8, 7);
