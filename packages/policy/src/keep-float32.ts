/**
 * What stays in float32 under a low-precision policy unless `applyPolicy`'s `keepFloat32` option
 * says otherwise. Entries are matched against each layer, in this order:
 * - a layer name or a layer class name (`BatchNormalization`): the whole layer runs in float32
 *   (no cast point at all; its variables stay float32 under pure policies too);
 * - an activation name (`softmax`): the layer still reads rounded inputs and weights, but its
 *   output is not rounded, so the activation's result stays float32.
 *
 * The defaults follow Keras 3 and PyTorch autocast: normalization statistics and softmax /
 * log-softmax outputs lose too much in 16 bits. (Keras computes BatchNormalization and
 * LayerNormalization in float32 internally and then casts the output to float16; here the
 * output stays float32 and the next layer's input cast rounds it, which gives the same values.)
 */
export const KEEP_FLOAT32_LAYERS: readonly string[] = Object.freeze([
  'BatchNormalization',
  'LayerNormalization',
  'Softmax',
  'logSoftmax',
  'softmax',
]);

/** What a layer needs from keep-float32 matching: plain data, no tensors. */
export interface LayerFacts {
  /** `layer.name`. */
  readonly name: string;
  /** `layer.getClassName()`, e.g. `Dense`. */
  readonly className: string;
  /** The class name of the layer's `activation` (`softmax`, `relu`), or null when it has none. */
  readonly activation: string | null;
}

/**
 * How `keepFloat32` applies to one layer: `layer` (whole layer float32), `output` (output kept
 * float32), or null (not kept).
 */
export type KeepFloat32Match = 'layer' | 'output' | null;

/** Matches a layer against keep-float32 entries (see {@link KEEP_FLOAT32_LAYERS}). */
export function matchKeepFloat32(
  facts: LayerFacts,
  keepFloat32: readonly string[],
): KeepFloat32Match {
  if (keepFloat32.includes(facts.name) || keepFloat32.includes(facts.className)) return 'layer';
  if (facts.activation != null && keepFloat32.includes(facts.activation)) return 'output';
  return null;
}
