import {type FusedEpilogue, WGSL_GRID16, wgslEpilogue} from './epilogue.js';
import {wgslFloat16} from './wgsl-float16.js';
import type {WgslProgram} from './wgsl-program.js';

/** Tile edge of the float16 matmul: 16×16 threads, 16×16 tiles of A and B in workgroup memory. */
const TILE = 16;

/** One batched product C[b] = op(A[b]) · op(B[b]), with broadcasting of a batch of one. */
export interface MatMulShape {
  readonly batchA: number;
  readonly batchB: number;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly transposeA: boolean;
  readonly transposeB: boolean;
}

/**
 * The WGSL float16 matmul: A and B are read as float32 (tfjs has no 16-bit dtype), rounded to
 * float16 exactly (`ampF16`) and staged as `f16` in workgroup memory (half the shared memory of
 * float32 tiles); each product is formed in float32 from the float16 operands (exact: 11 × 11
 * significant bits fit float32's 24) and summed in float32, like cuBLAS/TF's float16 GEMM with
 * float32 accumulation; the sum is rounded once to float16 (ties to even, overflow to ±Inf) and
 * stored as float32 bits. The epilogue adds the bias (rounded to float16) and rounds again, then
 * applies the activation and rounds again, as TF's float16 BiasAdd and activations do.
 */
export function matMulProgram(shape: MatMulShape, epilogue: FusedEpilogue | null): WgslProgram {
  const {batchA, batchB, m, k, n, transposeA, transposeB} = shape;
  const batch = Math.max(batchA, batchB);
  const aIndex = transposeA ? 'aBase + col * M + row' : 'aBase + row * K + col';
  const bIndex = transposeB ? 'bBase + col * K + row' : 'bBase + row * N + col';
  const hasBias = epilogue?.biasSize != null;
  const code = `enable f16;
const M = ${m}u;
const K = ${k}u;
const N = ${n}u;
const TILE = ${TILE}u;
@group(0) @binding(0) var<storage, read_write> C: array<u32>;
@group(0) @binding(1) var<storage, read> A: array<u32>;
@group(0) @binding(2) var<storage, read> B: array<u32>;
${hasBias ? '@group(0) @binding(3) var<storage, read> bias: array<u32>;' : ''}
var<workgroup> tileA: array<f16, ${TILE * TILE}>;
var<workgroup> tileB: array<f16, ${TILE * TILE}>;
${wgslFloat16(false, true)}
${WGSL_GRID16}
@compute @workgroup_size(${TILE}, ${TILE}, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let b = wid.z;
  let r = wid.y * TILE + lid.y;
  let c = wid.x * TILE + lid.x;
  let aBase = ${batchA === 1 ? '0u' : 'b * M * K'};
  let bBase = ${batchB === 1 ? '0u' : 'b * K * N'};
  var acc = 0.0;
  for (var t = 0u; t < K; t = t + TILE) {
    {
      let row = r;
      let col = t + lid.x;
      var v = f16(0.0);
      if (row < M && col < K) { v = ampF16(A[${aIndex}]); }
      tileA[lid.y * TILE + lid.x] = v;
    }
    {
      let row = t + lid.y;
      let col = c;
      var v = f16(0.0);
      if (row < K && col < N) { v = ampF16(B[${bIndex}]); }
      tileB[lid.y * TILE + lid.x] = v;
    }
    workgroupBarrier();
    for (var i = 0u; i < TILE; i = i + 1u) {
      acc = acc + f32(tileA[lid.y * TILE + i]) * f32(tileB[i * TILE + lid.x]);
    }
    workgroupBarrier();
  }
  if (r >= M || c >= N) { return; }
  var v = grid16(acc);
  ${wgslEpilogue(epilogue, 'c')}
  C[(b * M + r) * N + c] = bitcast<u32>(v);
}
`;
  return {
    name: epilogue == null ? 'AmpMatMulF16' : 'AmpFusedMatMulF16',
    code,
    threads: batch * m * n,
    workgroups: [Math.ceil(n / TILE), Math.ceil(m / TILE), batch],
  };
}
