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
import {deferredFloat32, isRoundedData, markRoundedData} from '../../native/half-cache.js';
import {isNativeCastSupported} from '../../native/probe.js';
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
 * an earlier `quantize`) comes back as it is, with no op, and the same tensor rounded again
 * while the first result lives returns that result.
 *
 * Held in 16 bits: a float16 or bfloat16 result is stored as its 16-bit handle alone (the cast
 * cache's deferred float32 tensor), natively or emulated: a native kernel reads the handle with
 * no cast, and float32 code reads an exact Cast(format→float32) made for that op and deleted
 * after it. So each rounded activation a mixed step keeps for its backward pass costs 2 bytes an
 * element, not the 4 of a float32 copy beside the unrounded tensor.
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
  // The same tensor rounded again (a tensor that feeds two layers: a residual block's input):
  // the earlier result while it lives, so the step holds one rounded copy, not one per reader.
  const key = `${spec.name}/${saturate === true}`;
  const earlier = results.get(x.dataId as object)?.get(key);
  const owner = node as unknown as {tensorMap: {has(dataId: object): boolean}};
  if (earlier != null && owner.tensorMap.has(earlier.dataId as object)) {
    (node as unknown as {incRef(dataId: object): void}).incRef(earlier.dataId as object);
    return {dataId: earlier.dataId, shape: earlier.shape, dtype: earlier.dtype};
  }
  // float16 and bfloat16: the 16-bit copy is the result's only data (2 bytes an element, not 4
  // or 6): a native kernel reads it as it is, float32 code through an exact cast made for that op
  // alone (see deferredFloat32), as an emulated product reads its rounded input.
  const result = roundWithCasts(node, x, spec, {
    saturate: saturate === true,
    consume: false,
    hold: isNativeComputeFormat(spec.name),
  });
  let byKey = results.get(x.dataId as object);
  if (byKey == null) {
    byKey = new Map();
    results.set(x.dataId as object, byKey);
  }
  byKey.set(key, result);
  return result;
};

/**
 * Input dataId → format and saturation → the tensor {@link ampQuantize} rounded it to (a dataId's
 * data never changes, so the result stays right while both live).
 */
const results = new WeakMap<object, Map<string, TensorInfo>>();

/**
 * `x` rounded to `format` (nearest even, not saturated) as a new float32 tensor, by the casts
 * {@link ampQuantize} uses, marked as holding only the format's values and, for float16 and
 * bfloat16, held as its 16-bit copy alone as `ampQuantize` holds its results; null where the
 * device lacks the casts (or the format has no TF dtype). For kernels that round their own output
 * or inputs. With `consume`, `x` is a tensor the caller owns and gives up: its data is freed as
 * soon as the 16-bit copy exists. With `float32`, the copy gets float32 data at once (one Cast
 * back): for a copy a kernel reads right away and frees.
 */
export function roundedCopy(
  node: NodeBackend,
  x: TensorInfo,
  format: FormatName,
  options?: {readonly consume?: boolean; readonly float32?: boolean},
): TensorInfo | null {
  if (TF_DTYPES[format] == null || !isNativeCastSupported(node, format)) return null;
  const spec = getFormat(format);
  const hold = options?.float32 !== true && isNativeComputeFormat(format);
  return roundWithCasts(node, x, spec, {saturate: false, consume: options?.consume === true, hold});
}

/**
 * The casts of {@link ampQuantize}: Cast(float32 → format), then either the 16-bit handle kept as
 * the result's only data (`hold`: a deferred float32 tensor of the cast cache) or Cast back.
 */
function roundWithCasts(
  node: NodeBackend,
  x: TensorInfo,
  spec: FormatSpec,
  how: {readonly saturate: boolean; readonly consume: boolean; readonly hold: boolean},
): TensorInfo {
  const binding = node.binding;
  const dtype = TF_DTYPES[spec.name]!;
  const [xId] = node.getInputTensorIds([x]);
  const scope = new HandleScope(binding);
  try {
    const id = how.saturate ? clampToMaxFinite(scope, xId!, spec.maxFinite) : xId!;
    const narrow = scope.cast(id, binding.TF_FLOAT, dtype);
    if (how.consume) node.disposeData(x.dataId as object);
    if (how.hold) return deferredFloat32(node, scope.release(narrow), spec.name);
    const wide = scope.cast(narrow.id, dtype, binding.TF_FLOAT);
    const result = node.createOutputTensor(wide);
    scope.release(wide);
    markRoundedData(result, spec.name);
    return result;
  } finally {
    scope.dispose();
  }
}

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
