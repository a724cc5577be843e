import * as tf from '@tensorflow/tfjs';
import type {KernelConfig, KernelFunc, NamedAttrMap, TensorInfo} from '@tensorflow/tfjs';
import type {FormatName} from '../formats/format-spec.js';
import {backwardFormat, markForBackward} from './backward-marks.js';
import {asNodeBackend, isNativeComputeFormat, type NodeBackend} from './binding.js';
import {getComputeFormat} from './context.js';
import {decideNative} from './dispatch.js';
import type {NativeOpName} from './probe.js';
import {warnOnce} from './warn-once.js';

/**
 * What every copy of @tfjs-amp/kernels in the process shares (a package manager can install two,
 * of different versions, each with its own module state): the backend's own config of each
 * overridden kernel, keyed `backend/kernel`, and which copy installed each override. An override
 * therefore always falls back to the backend's kernel, never to another copy's override (which
 * could fall back to this one's: endless recursion).
 */
interface OverrideRegistry {
  readonly originals: Map<string, KernelConfig>;
  readonly owners: WeakMap<KernelConfig, OverrideOwner>;
}

/** One per copy of this module: where it was loaded from. */
interface OverrideOwner {
  readonly url: string;
}

const REGISTRY = Symbol.for('@tfjs-amp/kernels:overrides');
const THIS_COPY: OverrideOwner = {url: import.meta.url};

function registry(): OverrideRegistry {
  const global = globalThis as {[REGISTRY]?: OverrideRegistry};
  global[REGISTRY] ??= {originals: new Map(), owners: new WeakMap()};
  return global[REGISTRY];
}

const originals = registry().originals;

const keyOf = (kernelName: string, backendName: string): string => `${backendName}/${kernelName}`;

/**
 * Installs kernels that replace a backend's own (tfjs-node's BatchMatMul, Conv2D, ...), keeping
 * each replaced config as the fallback the override delegates to. A kernel whose original is not
 * registered yet (the backend's package is not imported yet) is skipped and installed by a later
 * call; one that is already ours is left alone. So it works whichever of tfjs-node and
 * @tfjs-amp/kernels is imported first, and is cheap to call often (a registry lookup per kernel).
 * Another copy of @tfjs-amp/kernels's override is replaced (with a one-time warning): the fallback
 * stays the backend's own kernel. Registers by unregister + register, which tfjs does silently.
 * @returns whether every override is in place.
 */
export function installOverrides(configs: readonly KernelConfig[]): boolean {
  let complete = true;
  for (const config of configs) {
    const current = tf.getKernel(config.kernelName, config.backendName);
    if (current === config) continue;
    if (current == null) {
      complete = false;
      continue;
    }
    const owner = registry().owners.get(current);
    if (owner == null) {
      originals.set(keyOf(config.kernelName, config.backendName), current);
    } else if (owner.url !== THIS_COPY.url) {
      warnOnce(
        'overrides/two-copies',
        `tfjs-amp: two copies of @tfjs-amp/kernels are loaded (${owner.url} and ` +
          `${THIS_COPY.url}). Each replaces the other's '${config.backendName}' kernels when ` +
          "its ops run, and a policy built on one may run under the other's dispatch settings. " +
          'Install one copy: `npm ls @tfjs-amp/kernels` shows which packages pull in which ' +
          'version; align them, then run `npm dedupe`.',
      );
    }
    // Another copy's override (or an earlier instance of this module, as test runners reload
    // modules) falls back to the backend's kernel recorded when it was installed: keep that.
    registry().owners.set(config, THIS_COPY);
    tf.unregisterKernel(config.kernelName, config.backendName);
    tf.registerKernel(config);
  }
  return complete;
}

/**
 * Puts the backend's own kernels back (test and benchmark hook: runs the same model with and
 * without the overrides in one process). A later `installOverrides` re-installs them.
 */
export function uninstallOverrides(configs: readonly KernelConfig[]): void {
  for (const config of configs) {
    const key = keyOf(config.kernelName, config.backendName);
    const original = originals.get(key);
    if (original == null || tf.getKernel(config.kernelName, config.backendName) !== config)
      continue;
    tf.unregisterKernel(config.kernelName, config.backendName);
    tf.registerKernel(original);
    originals.delete(key);
  }
}

/**
 * The config an override replaced (the backend's own), or undefined before `installOverrides`
 * put the override in place. Overrides of kernels that have a `setupFunc` forward it through this.
 */
export function replacedKernelConfig(
  kernelName: string,
  backendName: string,
): KernelConfig | undefined {
  return originals.get(keyOf(kernelName, backendName));
}

/** The kernel function an override replaced. */
export function originalKernel(kernelName: string, backendName: string): KernelFunc {
  const config = originals.get(keyOf(kernelName, backendName));
  if (config == null) {
    throw new Error(
      `tfjs-amp: no original '${kernelName}' kernel recorded for backend '${backendName}'; ` +
        'the override was registered without installOverrides().',
    );
  }
  return config.kernelFunc;
}

/**
 * The multiply-adds of a batched product `op(a) · op(b)` (the same for a layer's forward product
 * and both of its gradients' products).
 */
export function productMacs(a: TensorInfo, b: TensorInfo, transposeA: boolean): number {
  const rank = a.shape.length;
  const batch = a.shape.slice(0, -2).reduce((x, y) => x * y, 1);
  const m = a.shape[rank - (transposeA ? 1 : 2)]!;
  const k = a.shape[rank - (transposeA ? 2 : 1)]!;
  const size = b.shape.reduce((x, y) => x * y, 1);
  const bBatch = b.shape.slice(0, -2).reduce((x, y) => x * y, 1);
  return batch * m * k * (size / bBatch / k);
}

/** What a native matrix kernel receives (tfjs's KernelFunc arguments). */
export interface OverrideArgs {
  inputs: Record<string, TensorInfo | undefined>;
  backend: unknown;
  attrs?: NamedAttrMap;
}

/** What an override needs to decide and to run natively. */
export interface NativeKernelPlan {
  /** tfjs kernel name (the override's and the original's). */
  readonly kernelName: string;
  readonly backendName: string;
  /** The TF op the native path runs in the compute format. */
  readonly op: NativeOpName;
  /** The float inputs the TF op reads (forward inputs get marked for the backward pass). */
  readonly matrixInputs: readonly TensorInfo[];
  /** Runs the op natively in `format`; returns null to delegate (e.g. padding TF lacks). */
  readonly native: (node: NodeBackend, format: FormatName) => TensorInfo | null;
  /** A product's multiply-adds (batch · m · k · n), for the dispatch's small-product rule. */
  readonly macs?: number;
}

/**
 * The body shared by every native matrix kernel. The compute format is the innermost
 * `withComputeFormat` context, or, outside any, the format of the forward kernel whose backward
 * pass this is ({@link backwardFormat}). float16/bfloat16 where the dispatch decides native
 * ({@link decideNative}: the kernel exists, sums in float32 and is fast on this device): run
 * natively. Anything else (no context, float32, tf32, float8, int32 inputs, a kernel the dispatch
 * rejects): the backend's own kernel, exactly as without tfjs-amp; a rejected kernel prints a
 * one-time notice saying why.
 */
export function runOverride(args: OverrideArgs, plan: NativeKernelPlan): TensorInfo | TensorInfo[] {
  const original = originalKernel(plan.kernelName, plan.backendName);
  const delegate = (): TensorInfo | TensorInfo[] => original(args as Parameters<KernelFunc>[0]);
  if (plan.matrixInputs.some((x) => x.dtype !== 'float32')) return delegate();
  const format = getComputeFormat() ?? backwardFormat(plan.matrixInputs);
  if (format == null || !isNativeComputeFormat(format)) return delegate();
  const node = asNodeBackend(args.backend);
  if (node == null) return delegate();
  const decision = decideNative(node, plan.op, format, plan.macs);
  if (!decision.native) {
    warnOnce(
      `native/${plan.op}/${format}/${decision.reason}`,
      `tfjs-amp: ${plan.kernelName} runs in float32 (a policy emulates ${format} by rounding at ` +
        `its cast points): ${decision.detail}.` +
        (decision.reason === 'not-faster'
          ? " setNativeDispatch('accurate') runs it natively anyway."
          : ''),
    );
    return delegate();
  }
  const result = plan.native(node, format);
  if (result == null) return delegate();
  markForBackward(plan.matrixInputs, format);
  return result;
}
