import * as tf from '@tensorflow/tfjs';
import type {TensorInfo} from '@tensorflow/tfjs';
import type {MatMulShape} from './matmul-program.js';

/**
 * The batched product of `a` and `b` as the WGSL matmul runs it, with its output shape (the
 * broadcast batch dimensions, then m × n), or null when the batch dimensions broadcast in a way
 * the kernel does not cover (each side's batch must be one, or both equal after flattening), or
 * when it would need more than WebGPU's guaranteed 65535 workgroups along one dimension (16×16
 * output tiles along x and y, one batch per z).
 */
export function matMulShape(
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): {shape: MatMulShape; outShape: number[]} | null {
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) return null;
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const kb = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (k !== kb) return null;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = tf.util.sizeFromShape(outerA);
  const batchB = tf.util.sizeFromShape(outerB);
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  const batch = tf.util.sizeFromShape(outer);
  if (!((batchA === batch || batchA === 1) && (batchB === batch || batchB === 1))) return null;
  if (batch === 0 || m === 0 || n === 0 || k === 0) return null;
  if (Math.max(Math.ceil(m / 16), Math.ceil(n / 16), batch) > 65535) return null;
  return {
    shape: {batchA, batchB, m, k, n, transposeA, transposeB},
    outShape: [...outer, m, n],
  };
}
