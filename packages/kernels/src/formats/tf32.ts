import {ieeeFormat} from './format-spec.js';

/**
 * NVIDIA TensorFloat-32 (1/8/10): float32's range with float16's precision. Ampere+ tensor cores
 * read float32 inputs this way. Stored as a float32 whose low 13 mantissa bits are zero.
 */
export const TF32 = ieeeFormat('tf32', 32, 8, 10);
