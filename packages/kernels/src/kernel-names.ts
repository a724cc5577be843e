import type {FormatName} from './formats/format-spec.js';

/** Custom kernel: rounds a float32 tensor to a format's values (see `quantize`). */
export const AmpQuantize = 'AmpQuantize';
export type AmpQuantize = typeof AmpQuantize;

/** Inputs of {@link AmpQuantize}. */
export type AmpQuantizeInputs = 'x';

/** How {@link AmpQuantize} picks between the two neighbours of a value (see `quantize`). */
export type RoundingMode = 'nearest' | 'stochastic';

/**
 * Attributes of {@link AmpQuantize}. `gradFormat: 'float32'` means the gradient passes unrounded.
 * `rounding` absent means `'nearest'`; `seed` is read only in `'stochastic'` mode.
 */
export interface AmpQuantizeAttrs {
  format: FormatName;
  saturate: boolean;
  gradFormat: FormatName;
  rounding?: RoundingMode;
  seed?: number;
}

/**
 * Custom kernel (tfjs-node only): relu's gradient, `dy` where `y > 0` and 0 elsewhere, as TF's
 * ReluGrad. The fused ops' gradients use it where the backend has it; elsewhere they compute
 * `dy · step(y)`.
 */
export const AmpReluGrad = 'AmpReluGrad';
export type AmpReluGrad = typeof AmpReluGrad;

/** Inputs of {@link AmpReluGrad}: the gradient and the relu's output, of one shape. */
export type AmpReluGradInputs = 'dy' | 'y';

/**
 * Custom kernel (tfjs-node only): a bias's gradient, `dy` summed over every axis but the last.
 * The fused ops' gradients use it where the backend has it; elsewhere they sum with tfjs.
 */
export const AmpBiasGrad = 'AmpBiasGrad';
export type AmpBiasGrad = typeof AmpBiasGrad;

/**
 * Attribute with which `fusedMatMul` and `fusedConv2d` (option `roundOutputTo`) ask a fused
 * kernel (`_FusedMatMul`, `FusedConv2D`) for its result rounded to a format; kernels that do not
 * know it ignore it, and the op rounds after them.
 */
export const ROUND_OUTPUT_ATTR = 'roundOutputTo';

/**
 * Attribute with which `fusedMatMul` and `fusedConv2d` (option `roundWeightTo`) ask tfjs-node's
 * `_FusedMatMul` (its `b`), `FusedConv2D` and `Conv2DBackpropInput` (their `filter`) to read the
 * weight rounded to a format, rounding it themselves and freeing the rounded copy right after;
 * the registered gradients pass it on where they need the weight. Set only on tfjs-node
 * (elsewhere the op rounds the weight before the kernel).
 */
export const ROUND_WEIGHT_ATTR = 'roundWeightTo';

/**
 * Attribute with which `fusedMatMul` and `fusedConv2d` (option `roundInputTo`) tell their
 * registered gradients, on tfjs-node, that `a` (`x`) was read rounded to a format: the product
 * that computes its gradient rounds its own result (`_FusedMatMul`, `Conv2DBackpropInput` with
 * {@link ROUND_OUTPUT_ATTR}), so no float32 gradient is held beside the rounded one. Elsewhere
 * the op rounds `a` before the kernel with `quantize`, whose gradient rounds.
 */
export const ROUND_INPUT_ATTR = 'roundInputTo';
