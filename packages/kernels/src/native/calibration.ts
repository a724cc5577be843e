import type {FormatName} from '../formats/format-spec.js';
import {HandleScope, type NodeBackend, TF_DTYPES, typeAttr} from './binding.js';

/** What one calibration measured. */
export interface Calibration {
  /** Whether the 16-bit product took at most {@link CALIBRATION_THRESHOLD} of float32's time. */
  readonly faster: boolean;
  /** 16-bit time over float32 time (operand casts included), best of the repeats. */
  readonly ratio: number;
  /** One sentence for notices and `describePolicy`. */
  readonly why: string;
}

/** A format counts as faster when its product takes at most this fraction of float32's time. */
export const CALIBRATION_THRESHOLD = 0.9;

/** The product timed: W1's middle layer, [256×1024]·[1024×1024]. */
const M = 256;
const K = 1024;
const N = 1024;
const REPEATS = 5;

const results = new WeakMap<NodeBackend, Map<FormatName, Calibration>>();

/**
 * The speed table's fallback for a CPU whose flags are unknown (not Linux, or a /proc/cpuinfo
 * without x86 flags, as on ARM): times one product of W1's middle layer in `format` (both
 * operands cast from float32 first, as a layer's are) against float32, best of 5 after a warm-up
 * of each, once per backend and format in a process (about 0.1-0.5 s). Deterministic inputs; the
 * outcome depends on the machine, which is its purpose.
 */
export function calibrate(node: NodeBackend, format: FormatName): Calibration {
  let byFormat = results.get(node);
  if (byFormat == null) {
    byFormat = new Map();
    results.set(node, byFormat);
  }
  let result = byFormat.get(format);
  if (result == null) {
    result = measure(node, format);
    byFormat.set(format, result);
  }
  return result;
}

function measure(node: NodeBackend, format: FormatName): Calibration {
  const dtype = TF_DTYPES[format];
  if (dtype == null) return {faster: false, ratio: Number.NaN, why: `${format} has no TF dtype`};
  const binding = node.binding;
  const scope = new HandleScope(binding);
  try {
    const fill = (n: number, seed: number) => {
      const v = new Float32Array(n);
      for (let i = 0; i < n; i++) v[i] = (((i * 2654435761 + seed) >>> 0) % 2001) / 1000 - 1;
      return v;
    };
    const a = scope.float32([M, K], fill(M * K, 1));
    const b = scope.float32([K, N], fill(K * N, 2));
    const product = (t: number) => {
      const attrs = [
        typeAttr(binding, 'T', t),
        {name: 'adj_x', type: binding.TF_ATTR_BOOL, value: false},
        {name: 'adj_y', type: binding.TF_ATTR_BOOL, value: false},
      ];
      const start = performance.now();
      const local = new HandleScope(binding);
      try {
        const ids =
          t === binding.TF_FLOAT
            ? [a, b]
            : [local.cast(a, binding.TF_FLOAT, t).id, local.cast(b, binding.TF_FLOAT, t).id];
        local.run('BatchMatMulV2', attrs, ids);
        return performance.now() - start;
      } finally {
        local.dispose();
      }
    };
    const best = (t: number) => {
      product(t);
      let min = Number.POSITIVE_INFINITY;
      for (let i = 0; i < REPEATS; i++) min = Math.min(min, product(t));
      return min;
    };
    const float32 = best(binding.TF_FLOAT);
    const half = best(dtype);
    const ratio = half / float32;
    const faster = ratio <= CALIBRATION_THRESHOLD;
    return {
      faster,
      ratio,
      why:
        `CPU flags unknown; measured a ${M}×${K}·${K}×${N} product in ${format} at ` +
        `${ratio.toFixed(2)}× float32's time (${faster ? 'at most' : 'more than'} ` +
        `${CALIBRATION_THRESHOLD})`,
    };
  } catch (e) {
    return {faster: false, ratio: Number.NaN, why: `calibration failed: ${(e as Error).message}`};
  } finally {
    scope.dispose();
  }
}
