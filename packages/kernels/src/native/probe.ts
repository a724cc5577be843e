import type {FormatName} from '../formats/format-spec.js';
import {
  HandleScope,
  type NodeBackend,
  TF_DTYPES,
  type TfBinding,
  type TfOpAttr,
  typeAttr,
} from './binding.js';

/** The TensorFlow ops the native matrix kernels run, in the compute format. */
export type NativeOpName =
  | 'BatchMatMulV2'
  | 'MatMul'
  | 'Conv2D'
  | 'Conv2DBackpropFilter'
  | 'Conv2DBackpropInput'
  | 'DepthwiseConv2dNative'
  | 'DepthwiseConv2dNativeBackpropFilter'
  | 'DepthwiseConv2dNativeBackpropInput';

/** A 1×1 problem for one op: each input is a float tensor of `shape` or an int32 shape vector. */
interface Probe {
  readonly inputs: ReadonlyArray<{float: number[]} | {int32: number[]}>;
  readonly attrs: (binding: TfBinding) => TfOpAttr[];
}

const ONE = [1, 1, 1, 1];
const convAttrs = (binding: TfBinding): TfOpAttr[] => [
  {name: 'strides', type: binding.TF_ATTR_INT, value: ONE},
  {name: 'padding', type: binding.TF_ATTR_STRING, value: 'VALID'},
];

const PROBES: Readonly<Record<NativeOpName, Probe>> = {
  BatchMatMulV2: {inputs: [{float: [1, 1, 1]}, {float: [1, 1, 1]}], attrs: () => []},
  MatMul: {inputs: [{float: [1, 1]}, {float: [1, 1]}], attrs: () => []},
  Conv2D: {inputs: [{float: ONE}, {float: ONE}], attrs: convAttrs},
  Conv2DBackpropFilter: {inputs: [{float: ONE}, {int32: ONE}, {float: ONE}], attrs: convAttrs},
  Conv2DBackpropInput: {inputs: [{int32: ONE}, {float: ONE}, {float: ONE}], attrs: convAttrs},
  DepthwiseConv2dNative: {inputs: [{float: ONE}, {float: ONE}], attrs: convAttrs},
  DepthwiseConv2dNativeBackpropFilter: {
    inputs: [{float: ONE}, {int32: ONE}, {float: ONE}],
    attrs: convAttrs,
  },
  DepthwiseConv2dNativeBackpropInput: {
    inputs: [{int32: ONE}, {float: ONE}, {float: ONE}],
    attrs: convAttrs,
  },
};

/** Probe results per backend instance, keyed `op/format`. */
const results = new WeakMap<NodeBackend, Map<string, boolean>>();
/** Test-only overrides of probe results, keyed `op/format`. */
const forced = new Map<string, boolean>();
/** Bumped whenever a forced result changes, so decisions built on probes are made again. */
let generation = 0;

/** Changes whenever {@link forceNativeOpSupport} changes what a probe answers. */
export function probeGeneration(): number {
  return generation;
}

/**
 * Whether TensorFlow runs `op` in `format` on this backend's device: runs the op once on 1×1
 * inputs (cast to the format natively) and remembers the answer for the backend's lifetime. On
 * tfjs-node (CPU) TF 2.x has every one of them; on tfjs-node-gpu some formats may be missing
 * (bfloat16 convolutions before compute capability 8.0), which is what this finds out.
 */
export function isNativeOpSupported(
  node: NodeBackend,
  op: NativeOpName,
  format: FormatName,
): boolean {
  return probeOnce(node, `${op}/${format}`, () => runProbe(node, PROBES[op], op, format));
}

/**
 * The answer of `probe` for `key` on this backend, computed on first use and remembered for the
 * backend's lifetime (a test may force it with {@link forceNativeOpSupport}).
 */
export function probeOnce(node: NodeBackend, key: string, probe: () => boolean): boolean {
  const force = forced.get(key);
  if (force != null) return force;
  let cache = results.get(node);
  if (cache == null) {
    cache = new Map();
    results.set(node, cache);
  }
  let ok = cache.get(key);
  if (ok == null) {
    ok = probe();
    cache.set(key, ok);
  }
  return ok;
}

function runProbe(node: NodeBackend, probe: Probe, op: string, format: FormatName): boolean {
  const dtype = TF_DTYPES[format];
  if (dtype == null) return false;
  const binding = node.binding;
  const scope = new HandleScope(binding);
  try {
    const ids = probe.inputs.map((input) => {
      if ('int32' in input) return scope.int32(input.int32);
      const size = input.float.reduce((a, b) => a * b, 1);
      const f32 = scope.float32(input.float, new Float32Array(size).fill(1));
      return scope.cast(f32, binding.TF_FLOAT, dtype).id;
    });
    scope.run(op, [typeAttr(binding, 'T', dtype), ...probe.attrs(binding)], ids);
    return true;
  } catch {
    return false;
  } finally {
    scope.dispose();
  }
}

/** Element-wise ops of the native fused epilogues, with their input count. */
const ELEMENTWISE_ARITY: Readonly<Record<string, number>> = Object.freeze({
  AddV2: 2,
  LeakyRelu: 1,
  MaxPool: 1,
  MaxPoolGrad: 3,
  Relu: 1,
  Relu6: 1,
  ReluGrad: 2,
});

/** Attributes the probes of ops other than plain element-wise ones need. */
const PROBE_ATTRS: Readonly<Record<string, (binding: TfBinding) => TfOpAttr[]>> = {
  MaxPool: (binding) => [
    {name: 'ksize', type: binding.TF_ATTR_INT, value: ONE},
    {name: 'strides', type: binding.TF_ATTR_INT, value: ONE},
    {name: 'padding', type: binding.TF_ATTR_STRING, value: 'VALID'},
  ],
  MaxPoolGrad: (binding) => PROBE_ATTRS.MaxPool!(binding),
};

/**
 * Whether TensorFlow runs the element-wise `op` (one of a fused epilogue's: AddV2, Relu, Relu6,
 * LeakyRelu) in `format` on this backend's device; probed once on one element.
 */
export function isElementwiseOpSupported(
  node: NodeBackend,
  op: string,
  format: FormatName,
): boolean {
  const arity = ELEMENTWISE_ARITY[op];
  if (arity == null) return false;
  return probeOnce(node, `${op}/${format}`, () =>
    runProbe(
      node,
      {
        inputs: Array.from({length: arity}, () => ({float: op.startsWith('MaxPool') ? ONE : [1]})),
        attrs: PROBE_ATTRS[op] ?? (() => []),
      },
      op,
      format,
    ),
  );
}

/**
 * Whether TensorFlow casts float32 to `format` and back on this backend's device (probed once on
 * one element, like {@link isNativeOpSupported}).
 */
export function isNativeCastSupported(node: NodeBackend, format: FormatName): boolean {
  return probeOnce(node, `Cast/${format}`, () => runCastProbe(node, format));
}

function runCastProbe(node: NodeBackend, format: FormatName): boolean {
  const dtype = TF_DTYPES[format];
  if (dtype == null) return false;
  const binding = node.binding;
  const scope = new HandleScope(binding);
  try {
    const f32 = scope.float32([1], new Float32Array([1]));
    const narrow = scope.cast(f32, binding.TF_FLOAT, dtype);
    scope.cast(narrow.id, dtype, binding.TF_FLOAT);
    return true;
  } catch {
    return false;
  } finally {
    scope.dispose();
  }
}

/**
 * Test hook: pretends `op` in `format` is (un)supported on every backend, or restores probing
 * with `null`. Not exported from the package.
 */
export function forceNativeOpSupport(
  op: NativeOpName | 'Cast' | `accumulation/${NativeOpName}`,
  format: FormatName,
  supported: boolean | null,
): void {
  const key = `${op}/${format}`;
  if (supported == null) forced.delete(key);
  else forced.set(key, supported);
  generation++;
}
