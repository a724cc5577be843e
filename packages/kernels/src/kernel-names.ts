import type {FormatName} from './formats/format-spec.js';

/** Custom kernel: rounds a float32 tensor to a format's values (see `quantize`). */
export const AmpQuantize = 'AmpQuantize';
export type AmpQuantize = typeof AmpQuantize;

/** Inputs of {@link AmpQuantize}. */
export type AmpQuantizeInputs = 'x';

/** Attributes of {@link AmpQuantize}. `gradFormat: 'float32'` means the gradient passes unrounded. */
export interface AmpQuantizeAttrs {
  format: FormatName;
  saturate: boolean;
  gradFormat: FormatName;
}
