import {wgslF32} from './wgsl-float16.js';

/** Epilogue activations the WGSL kernels fuse (tfjs's fused-op names; `prelu` delegates). */
export type FusedActivation = 'linear' | 'relu' | 'relu6' | 'leakyrelu' | 'elu' | 'sigmoid';

/** The names of {@link FusedActivation}, for checking a kernel's `activation` attribute. */
export const FUSED_ACTIVATIONS: ReadonlySet<string> = new Set<FusedActivation>([
  'linear',
  'relu',
  'relu6',
  'leakyrelu',
  'elu',
  'sigmoid',
]);

/** A fused bias (length = output channels, or 1) and activation, each rounded to float16. */
export interface FusedEpilogue {
  readonly biasSize: number | null;
  readonly activation: FusedActivation;
  readonly leakyreluAlpha: number;
}

const ACTIVATIONS: Readonly<Record<FusedActivation, (alpha: string) => string>> = {
  linear: () => 'v',
  relu: () => 'max(v, 0.0)',
  relu6: () => 'min(max(v, 0.0), 6.0)',
  leakyrelu: (alpha) => `select(v * ${alpha}, v, v >= 0.0)`,
  elu: () => 'select(exp(v) - 1.0, v, v > 0.0)',
  sigmoid: () => '1.0 / (1.0 + exp(-v))',
};

/**
 * WGSL statements that take `v` (the float16-rounded sum, as f32) through the epilogue: plus the
 * bias rounded to float16 (`bias[channel]`), rounded; the activation, rounded, as TF's float16
 * BiasAdd and activations do. An f32 sum of two float16 values rounded to float16 equals the
 * exactly rounded sum (24 ≥ 2·11 + 2 bits, so the double rounding is innocuous); relu, relu6 and
 * linear are exact; leakyrelu, elu and sigmoid round the device's f32 result.
 * Needs `grid16` and `ampRound16` in scope.
 */
export function wgslEpilogue(epilogue: FusedEpilogue | null, channel: string): string {
  if (epilogue == null) return '';
  const lines: string[] = [];
  if (epilogue.biasSize != null) {
    const at = epilogue.biasSize === 1 ? '0u' : channel;
    lines.push(`v = grid16(v + bitcast<f32>(ampRound16(bias[${at}])));`);
  }
  if (epilogue.activation !== 'linear') {
    lines.push(
      `v = grid16(${ACTIVATIONS[epilogue.activation](wgslF32(epilogue.leakyreluAlpha))});`,
    );
  }
  return lines.join('\n  ');
}

/** WGSL: `x` rounded to float16, as f32 (for the epilogue). */
export const WGSL_GRID16 = `
fn grid16(x: f32) -> f32 {
  return bitcast<f32>(ampRound16(bitcast<u32>(x)));
}
`;
