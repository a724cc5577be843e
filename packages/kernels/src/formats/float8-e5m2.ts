import {ieeeFormat} from './format-spec.js';

/** OCP FP8 E5M2 (ml_dtypes `float8_e5m2`): IEEE-like 1/5/2 with Inf and NaN, max 57344. */
export const FLOAT8_E5M2 = ieeeFormat('float8_e5m2', 8, 5, 2);
