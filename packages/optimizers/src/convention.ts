/**
 * Whose arithmetic {@link AdamW} and {@link Nadam} reproduce: Keras 3's (`'keras'`, the default)
 * or PyTorch's (`'torch'`). The update rule is the same real-number formula (for AdamW up to
 * where ε is added); what differs is the order of float32 operations and whether the per-step
 * scalars (βᵗ, the Nadam schedule) are computed in float32 (Keras 3) or float64 (PyTorch).
 */
export const CONVENTIONS = Object.freeze(['keras', 'torch'] as const);
/** A name from {@link CONVENTIONS}. */
export type Convention = (typeof CONVENTIONS)[number];
