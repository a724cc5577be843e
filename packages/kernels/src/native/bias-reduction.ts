import type {FormatName} from '../formats/format-spec.js';
import {classifyAccumulation, probeVector} from './accumulation-probe.js';
import {
  HandleScope,
  type NodeBackend,
  TF_DTYPES,
  type TfHandle,
  type TfOpAttr,
  typeAttr,
} from './binding.js';
import {probeOnce} from './probe.js';

/** TF ops that sum a channels-last tensor over every axis but the last. */
export type BiasReductionOp = 'Sum' | 'BiasAddGrad';

/**
 * The candidates, in order of preference. Which of them sums a 16-bit tensor in float32 differs
 * by op and format, not by CPU alone: on TF 2.21's CPU kernels `Sum` widens bfloat16 to float32
 * (and rounds the sum once) but adds float16 in float16, while `BiasAddGrad` sums float16 in
 * float32 and bfloat16 in bfloat16. So each pair is probed before it is trusted.
 */
const CANDIDATES: readonly BiasReductionOp[] = ['Sum', 'BiasAddGrad'];

/** The attributes of `op` on a tensor of `rank` in `dtype`, and its extra inputs. */
function reductionCall(
  scope: HandleScope,
  op: BiasReductionOp,
  dtype: number,
  rank: number,
): {attrs: TfOpAttr[]; extra: number[]} {
  const binding = scope.binding;
  const t = typeAttr(binding, 'T', dtype);
  if (op === 'BiasAddGrad') {
    return {
      attrs: [t, {name: 'data_format', type: binding.TF_ATTR_STRING, value: 'NHWC'}],
      extra: [],
    };
  }
  return {
    attrs: [
      t,
      typeAttr(binding, 'Tidx', binding.TF_INT32),
      {name: 'keep_dims', type: binding.TF_ATTR_BOOL, value: false},
    ],
    extra: [scope.int32(Array.from({length: rank - 1}, (_, i) => i))],
  };
}

/**
 * `half` (a handle of `format` values, channels last, rank ≥ 2) summed over every axis but the
 * last by `op`, in the format: a new handle tracked by `scope`.
 */
export function runBiasReduction(
  scope: HandleScope,
  op: BiasReductionOp,
  format: FormatName,
  half: number,
  rank: number,
): TfHandle {
  const {attrs, extra} = reductionCall(scope, op, TF_DTYPES[format]!, rank);
  return scope.run(op, attrs, [half, ...extra]);
}

/**
 * The TF op that sums a bias's 16-bit gradient in `format` as mixed precision promises (every
 * term added in float32, the sum rounded to the format once) on this backend's device, or
 * undefined when none does. Each candidate is probed once per backend with the exact probe of
 * {@link probeVector}: K = 4098 rows whose float32 sum is exact and which a 16-bit accumulator
 * gets wrong by whole units.
 */
export function biasReductionOp(
  node: NodeBackend,
  format: FormatName,
): BiasReductionOp | undefined {
  return CANDIDATES.find((op) => sumsInFloat32(node, op, format));
}

/**
 * Whether TF's `op` sums a `format` tensor in float32 on this backend's device: probed once per
 * backend (the exact probe of {@link probeVector} down 2 channels).
 */
export function sumsInFloat32(node: NodeBackend, op: BiasReductionOp, format: FormatName): boolean {
  return probeOnce(node, `bias-reduction/${op}/${format}`, () => probeReduction(node, op, format));
}

/** Runs `op` on the probe vector laid down 2 channels; true when it summed in float32. */
function probeReduction(node: NodeBackend, op: BiasReductionOp, format: FormatName): boolean {
  const binding = node.binding;
  const dtype = TF_DTYPES[format];
  if (dtype == null) return false;
  const v = probeVector(format);
  const values = new Float32Array(2 * v.length);
  for (let k = 0; k < v.length; k++) values.fill(v[k]!, 2 * k, 2 * k + 2);
  const scope = new HandleScope(binding);
  try {
    const x = scope.cast(scope.float32([v.length, 2], values), binding.TF_FLOAT, dtype);
    const sum = runBiasReduction(scope, op, format, x.id, 2);
    const wide = scope.cast(sum.id, dtype, binding.TF_FLOAT);
    const out = binding.tensorDataSync(wide.id) as Float32Array;
    return out.length === 2 && classifyAccumulation(out, format) === 'float32';
  } catch {
    // An op the device lacks in this format is not used.
    return false;
  } finally {
    scope.dispose();
  }
}
