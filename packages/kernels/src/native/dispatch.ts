import type {FormatName} from '../formats/format-spec.js';
import {invalidChoice} from '../internal/errors.js';
import {nativeAccumulation} from './accumulation-probe.js';
import type {NodeBackend} from './binding.js';
import {calibrate} from './calibration.js';
import {type CpuFeatures, cpuFeatures, cpuFeaturesGeneration} from './cpu-features.js';
import {isNativeOpSupported, type NativeOpName, probeGeneration} from './probe.js';

/**
 * Which native 16-bit kernels run inside `withComputeFormat` (and so under a policy):
 * - `auto` (default): those that keep float32 accumulation (probed once per op and format) and
 *   that this device runs faster than float32: on a GPU, all; on a CPU, bfloat16 kernels where it
 *   has bfloat16 units (avx512_bf16 or amx_bf16) and float16 kernels where it has float16 matrix
 *   units (amx_fp16); on a CPU whose flags are unknown (not Linux, ARM), where one W1-sized
 *   product in the format measured at most 0.9x float32's time (once per process). Elsewhere the
 *   format is emulated, which costs about 1.05x float32, where
 *   TF's 16-bit CPU kernels without such units cost 1.0-10x.
 * - `accurate`: every kernel that keeps float32 accumulation, whatever its speed (to study
 *   native numerics on any CPU).
 * - `all`: every kernel TF has in the format, even those that sum in the format itself.
 * - `none`: no native kernel; every format is emulated.
 *
 * The default comes from the environment variable `TFJS_AMP_NATIVE` when it names a mode.
 */
export type NativeDispatch = 'accurate' | 'all' | 'auto' | 'none';

/** The dispatch modes, sorted. */
export const NATIVE_DISPATCH_MODES: readonly NativeDispatch[] = Object.freeze([
  'accurate',
  'all',
  'auto',
  'none',
]);

function isMode(value: unknown): value is NativeDispatch {
  return NATIVE_DISPATCH_MODES.includes(value as NativeDispatch);
}

function modeFromEnv(): NativeDispatch {
  const env = (globalThis as {process?: {env?: Record<string, string | undefined>}}).process?.env;
  const value = env?.TFJS_AMP_NATIVE;
  return isMode(value) ? value : 'auto';
}

let mode: NativeDispatch = modeFromEnv();

/** The current {@link NativeDispatch} mode. */
export function getNativeDispatch(): NativeDispatch {
  return mode;
}

/**
 * Sets the {@link NativeDispatch} mode for the whole process and returns the previous one.
 * Affects kernels run from now on; a model need not be re-instrumented.
 * @throws TypeError when `next` is not one of {@link NATIVE_DISPATCH_MODES}.
 * @example
 * const previous = setNativeDispatch('accurate'); // native wherever numerics allow
 */
export function setNativeDispatch(next: NativeDispatch): NativeDispatch {
  if (!isMode(next)) {
    throw invalidChoice('setNativeDispatch', 'mode', next, NATIVE_DISPATCH_MODES);
  }
  const previous = mode;
  mode = next;
  return previous;
}

/** Why a kernel does or does not run natively. */
export type NativeReason =
  | 'native'
  | 'dispatch-none'
  | 'no-kernel'
  | 'accumulates-in-format'
  | 'not-faster';

/** The dispatch decision for one TF op in one format on one backend. */
export interface NativeDecision {
  readonly native: boolean;
  readonly reason: NativeReason;
  /** One sentence for notices and `describePolicy`. */
  readonly detail: string;
}

/**
 * Whether this device is expected to run `format` kernels faster than float32: the table the
 * `auto` mode uses. Pure (tests give it recorded CPUs).
 */
export function fasterThanFloat32(
  format: FormatName,
  device: 'cpu' | 'gpu',
  cpu: CpuFeatures,
): {readonly faster: boolean; readonly why: string} {
  if (device === 'gpu') return {faster: true, why: 'GPU: 16-bit tensor cores'};
  const flags = cpu.flags.length > 0 ? cpu.flags.join(' ') : 'flags unknown';
  if (format === 'bfloat16') {
    return cpu.bf16Units
      ? {faster: true, why: `CPU has bfloat16 units [${flags}]`}
      : {faster: false, why: `CPU has no bfloat16 units (avx512_bf16, amx_bf16) [${flags}]`};
  }
  if (format === 'float16') {
    return cpu.fp16Units
      ? {faster: true, why: `CPU has float16 matrix units [${flags}]`}
      : {faster: false, why: `CPU has no float16 matrix units (amx_fp16) [${flags}]`};
  }
  return {faster: false, why: `${format} has no native kernels`};
}

/**
 * Products of at most this many multiply-adds run natively in a format the CPU has no units for,
 * where oneDNN's AVX-512 conversion kernels exist (avx512f): there a 16-bit product costs about
 * 1.3-1.4x float32's, while emulating a small layer costs more in rounding ops (about 14 small TF
 * ops per Dense layer and step, ~0.2 ms) than its three products lose (measured on avx512_bf16
 * without amx_fp16: MNIST MLP 784-128-64-10 at batch 64 in mixed_float16 1.0x float32 natively,
 * 1.3x emulated; W1, 205 M multiply-adds per product, 1.2x emulated, slower natively). Not on
 * CPUs without avx512f, whose 16-bit kernels are Eigen's (slower, and float16 ones sum in
 * float16).
 */
export const SMALL_PRODUCT_MACS = 2 ** 24;

/** Ops the small-product rule applies to: products (not convolutions, slower in 16 bits). */
const SMALL_PRODUCT_OPS: ReadonlySet<NativeOpName> = new Set(['BatchMatMulV2']);

/** Whether `macs` (a product's multiply-adds, where known) is small ({@link SMALL_PRODUCT_MACS}). */
export function isSmallProduct(macs: number | undefined): macs is number {
  return macs != null && macs > 0 && macs <= SMALL_PRODUCT_MACS;
}

/**
 * Whether a product of `macs` multiply-adds in `format` runs natively on this CPU by the
 * small-product rule ({@link SMALL_PRODUCT_MACS}), although the format is not faster in general.
 */
export function smallProductRule(
  op: NativeOpName,
  macs: number | undefined,
  cpu: CpuFeatures,
): boolean {
  return isSmallProduct(macs) && SMALL_PRODUCT_OPS.has(op) && cpu.flags.includes('avx512f');
}

const decisions = new WeakMap<NodeBackend, Map<string, NativeDecision>>();

/**
 * What every decision of {@link decideNative} depends on besides its arguments: the mode, and the
 * generations of forced probe results and CPU flags. Changes whenever a decision may change.
 */
export function dispatchState(): string {
  return `${mode}/${probeGeneration()}/${cpuFeaturesGeneration()}`;
}

/**
 * Whether `op` runs natively in `format` on this backend under the current mode, and why.
 * Decided once per backend, op, format and mode (the probes run on first use). `macs`, the
 * product's multiply-adds where the caller knows them, lets a small product run natively in a
 * format that is not faster in general ({@link smallProductRule}).
 */
export function decideNative(
  node: NodeBackend,
  op: NativeOpName,
  format: FormatName,
  macs?: number,
): NativeDecision {
  let cache = decisions.get(node);
  if (cache == null) {
    cache = new Map();
    decisions.set(node, cache);
  }
  const key = `${dispatchState()}/${op}/${format}`;
  let decision = cache.get(key);
  if (decision == null) {
    decision = decide(node, op, format);
    cache.set(key, decision);
  }
  // 'not-faster' comes only from the auto mode's table on a CPU.
  if (decision.reason === 'not-faster' && smallProductRule(op, macs, cpuFeatures())) {
    const why = fasterThanFloat32(format, 'cpu', cpuFeatures()).why;
    return yes(
      `${format} ${op} sums in float32 and this product is small (${macs} multiply-adds, at ` +
        `most 2^24): emulating it costs more in rounding ops than its 16-bit kernel loses, ` +
        `although ${why}`,
    );
  }
  return decision;
}

function decide(node: NodeBackend, op: NativeOpName, format: FormatName): NativeDecision {
  const gpu = node.binding.isUsingGpuDevice();
  const where = gpu ? 'this GPU' : 'this CPU';
  if (mode === 'none') {
    return no('dispatch-none', `native kernels are off (setNativeDispatch('none'))`);
  }
  if (!isNativeOpSupported(node, op, format)) {
    return no('no-kernel', `TensorFlow has no ${format} ${op} kernel on ${where}`);
  }
  if (mode === 'all') return yes(`${format} ${op} runs natively (dispatch 'all')`);
  if (nativeAccumulation(node, op, format) !== 'float32') {
    return no(
      'accumulates-in-format',
      `TensorFlow's ${format} ${op} on ${where} rounds partial sums to ${format} instead of ` +
        'summing in float32',
    );
  }
  if (mode === 'accurate') return yes(`${format} ${op} sums in float32 (dispatch 'accurate')`);
  const cpu = cpuFeatures();
  // Flags unknown (not Linux, ARM): the table knows nothing, so measure once.
  const speed =
    !gpu && cpu.flags.length === 0 && (format === 'bfloat16' || format === 'float16')
      ? calibrate(node, format)
      : fasterThanFloat32(format, gpu ? 'gpu' : 'cpu', cpu);
  return speed.faster
    ? yes(`${format} ${op} sums in float32 and is fast here: ${speed.why}`)
    : no('not-faster', `${format} ${op} is not faster than float32 here: ${speed.why}`);
}

const yes = (detail: string): NativeDecision =>
  Object.freeze({native: true, reason: 'native', detail});
const no = (reason: NativeReason, detail: string): NativeDecision =>
  Object.freeze({native: false, reason, detail});
