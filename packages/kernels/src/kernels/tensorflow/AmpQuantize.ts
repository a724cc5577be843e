import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs';
import type {FormatName, FormatSpec} from '../../formats/format-spec.js';
import {getFormat} from '../../formats/index.js';
import {AmpQuantize, type AmpQuantizeAttrs} from '../../kernel-names.js';
import {
  HandleScope,
  type NodeBackend,
  TF_DTYPES,
  type TfHandle,
  asNodeBackend,
  isNativeComputeFormat,
  typeAttr,
} from '../../native/binding.js';
import {isRoundedData, markRoundedData, storeHalf} from '../../native/half-cache.js';
import {decideNative} from '../../native/dispatch.js';
import {type NativeOpName, isNativeCastSupported} from '../../native/probe.js';
import {ampQuantize as genericAmpQuantize} from '../generic/AmpQuantize.js';
import {quantizeKernelInput} from '../shared/kernel-input.js';
import {stochasticSeed} from '../shared/stochastic-round.js';

const backendName = 'tensorflow';

/**
 * Rounds inside libtensorflow, bit-exact with `roundArray` for every non-NaN float32 (checked
 * over all 2^32 patterns by `bench/tensorflow-quantize-sweep.ts`):
 * - float16, bfloat16, float8_e4m3fn, float8_e5m2: two casts, Cast(float32→format) then
 *   Cast(format→float32); TF's float→narrow cast rounds to nearest even, keeps subnormals and -0,
 *   and overflows exactly as `roundArray` does.
 * - tf32 (no TF dtype): integer round-to-nearest-even on the bits (Bitcast to int32, add
 *   0xfff + the kept lsb, clear the 13 dropped bits, Bitcast back).
 * - `saturate`: values beyond ±maxFinite (±Inf included) first become ±maxFinite by compare +
 *   select, which copy bits. (TF's CPU kernels flush float32 subnormals in arithmetic, so a
 *   min/max clamp would flush bfloat16 and tf32 subnormals; so does the generic kernel's
 *   arithmetic on this backend, which is why tf32 is done with integer ops here.)
 *
 * NaN stays NaN, but the casts do not all keep its payload: float16, float8_e4m3fn and tf32
 * match `roundArray` bit for bit; bfloat16 gives +qNaN (0x7fc00000) for every NaN, and
 * float8_e5m2 gives qNaN with the sign kept (as the generic kernel's canonical NaN).
 *
 * float32, casts the device lacks (probed once) and stochastic rounding: the generic kernel.
 *
 * Cast once: an input already known to hold only the format's values (a native kernel's output,
 * an earlier `quantize`) comes back as it is, with no op; float16 and bfloat16 results keep
 * their 16-bit handle in the cast cache, so a native kernel that reads them casts nothing (only
 * where the dispatch runs a matrix kernel natively in the format: an emulated format keeps none).
 */
export const ampQuantize: KernelFunc = (args) => {
  const {x} = args.inputs as {x: TensorInfo};
  const {spec} = quantizeKernelInput(x, args.attrs);
  // Stochastic rounding: the generic kernel's JavaScript core (same bits as cpu and wasm for a
  // seed). The cast cache below is for nearest mode only.
  if (stochasticSeed(args.attrs) != null) return genericAmpQuantize(args);
  const {saturate} = args.attrs as unknown as AmpQuantizeAttrs;
  const node = asNodeBackend(args.backend);
  // Already rounded (a native kernel's output, an earlier quantize): nothing to do. The same data
  // comes back, as tfjs-node's Identity does it. Saturation could still change ±Inf.
  if (node != null && saturate !== true && isRoundedData(x, spec.name)) {
    (node as unknown as {incRef(dataId: object): void}).incRef(x.dataId as object);
    return {dataId: x.dataId, shape: x.shape, dtype: x.dtype};
  }
  if (node != null && spec.name === 'tf32') return roundWithBits(node, x, spec, saturate === true);
  if (node == null || TF_DTYPES[spec.name] == null || !isNativeCastSupported(node, spec.name)) {
    return genericAmpQuantize(args);
  }
  return roundWithCasts(node, x, spec, saturate === true);
};

/**
 * `x` rounded to `format` (nearest even, not saturated) as a new float32 tensor, by the casts
 * {@link ampQuantize} uses, marked as holding only the format's values; null where the device
 * lacks the casts (or the format has no TF dtype). For kernels that round their own output or
 * inputs. With `consume`, `x` is a tensor the caller owns and gives up: its data is freed as soon
 * as the 16-bit copy exists, before that is widened, so the three never coexist.
 */
export function roundedCopy(
  node: NodeBackend,
  x: TensorInfo,
  format: FormatName,
  options?: {readonly consume?: boolean},
): TensorInfo | null {
  if (TF_DTYPES[format] == null || !isNativeCastSupported(node, format)) return null;
  return roundWithCasts(node, x, getFormat(format), false, options?.consume === true);
}

function roundWithCasts(
  node: NodeBackend,
  x: TensorInfo,
  spec: FormatSpec,
  saturate: boolean,
  consume = false,
): TensorInfo {
  const binding = node.binding;
  const dtype = TF_DTYPES[spec.name]!;
  let narrowId: number | null = null;
  const result = inScope(node, x, (scope, xId) => {
    const id = saturate ? clampToMaxFinite(scope, xId, spec.maxFinite) : xId;
    const narrow = scope.cast(id, binding.TF_FLOAT, dtype);
    if (consume) node.disposeData(x.dataId as object);
    // The 16-bit copy is what a native kernel reading the rounded tensor needs: keep it, where
    // the dispatch runs some matrix kernel natively in the format (an emulated format would
    // only hold it).
    if (isNativeComputeFormat(spec.name) && someNativeMatrixKernel(node, spec.name)) {
      narrowId = scope.release(narrow).id;
    }
    return scope.cast(narrow.id, dtype, binding.TF_FLOAT);
  });
  markRoundedData(result, spec.name);
  if (narrowId != null) storeHalf(node, result, spec.name, narrowId);
  return result;
}

/** Whether the dispatch runs a matrix kernel natively in `format` on this backend. */
function someNativeMatrixKernel(node: NodeBackend, format: FormatSpec['name']): boolean {
  return MATRIX_OPS.some((op) => decideNative(node, op, format).native);
}

const MATRIX_OPS: readonly NativeOpName[] = ['BatchMatMulV2', 'Conv2D', 'DepthwiseConv2dNative'];

/** Bits a tf32 drops (float32 has 23 mantissa bits, tf32 10). */
const TF32_DROPPED = 0x1fff;

function roundWithBits(
  node: NodeBackend,
  x: TensorInfo,
  spec: FormatSpec,
  saturate: boolean,
): TensorInfo {
  return inScope(node, x, (scope, xId) => {
    const binding = node.binding;
    const i32 = binding.TF_INT32;
    const int = [typeAttr(binding, 'T', i32)];
    const id = saturate ? clampToMaxFinite(scope, xId, spec.maxFinite) : xId;
    const bits = scope.run(
      'Bitcast',
      [typeAttr(binding, 'T', binding.TF_FLOAT), typeAttr(binding, 'type', i32)],
      [id],
    ).id;
    const scalar = (v: number) => scope.int32Scalar(v);
    // Finite values and ±Inf: add 0xfff plus the lowest kept bit (ties go to even), then clear
    // the dropped bits. A carry into the exponent is the correctly rounded next binade, or Inf.
    const keptLsb = scope.run('BitwiseAnd', int, [
      scope.run('RightShift', int, [bits, scalar(13)]).id,
      scalar(1),
    ]).id;
    const biased = scope.run('AddV2', int, [
      bits,
      scope.run('AddV2', int, [keptLsb, scalar(0xfff)]).id,
    ]).id;
    const rounded = scope.run('BitwiseAnd', int, [biased, scalar(~TF32_DROPPED)]).id;
    // NaN: set the quiet bit and keep the payload bits tf32 holds (as roundArray).
    const quiet = scope.run('BitwiseOr', int, [bits, scalar(0x00400000)]).id;
    const nan = scope.run('BitwiseAnd', int, [quiet, scalar(~TF32_DROPPED)]).id;
    const isNan = scope.run('IsNan', [typeAttr(binding, 'T', binding.TF_FLOAT)], [id]).id;
    const out = scope.run('SelectV2', int, [isNan, nan, rounded]).id;
    return scope.run(
      'Bitcast',
      [typeAttr(binding, 'T', i32), typeAttr(binding, 'type', binding.TF_FLOAT)],
      [out],
    );
  });
}

/** Replaces values above maxFinite (+Inf too) by maxFinite and below -maxFinite by -maxFinite. */
function clampToMaxFinite(scope: HandleScope, id: number, maxFinite: number): number {
  const binding = scope.binding;
  const t = [typeAttr(binding, 'T', binding.TF_FLOAT)];
  const hi = scope.float32([], new Float32Array([maxFinite]));
  const lo = scope.float32([], new Float32Array([-maxFinite]));
  const above = scope.run('Greater', t, [id, hi]).id;
  const capped = scope.run('SelectV2', t, [above, hi, id]).id;
  const below = scope.run('Less', t, [capped, lo]).id;
  return scope.run('SelectV2', t, [below, lo, capped]).id;
}

/**
 * Runs `body` on x's native handle with a handle scope: only the float32 handle `body` returns
 * becomes a tfjs tensor; everything else is deleted, also on error.
 */
function inScope(
  node: NodeBackend,
  x: TensorInfo,
  body: (scope: HandleScope, xId: number) => TfHandle,
): TensorInfo {
  const [xId] = node.getInputTensorIds([x]);
  const scope = new HandleScope(node.binding);
  try {
    const out = body(scope, xId!);
    const result = node.createOutputTensor(out);
    scope.release(out);
    return result;
  } finally {
    scope.dispose();
  }
}

export const ampQuantizeConfig: KernelConfig = {
  kernelName: AmpQuantize,
  backendName,
  kernelFunc: ampQuantize,
};
