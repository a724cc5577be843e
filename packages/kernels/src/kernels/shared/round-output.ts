import type {KernelFunc, NamedAttrMap, TensorInfo} from '@tensorflow/tfjs';
import type {FormatName} from '../../formats/format-spec.js';
import {ROUND_OUTPUT_ATTR} from '../../kernel-names.js';
import {asNodeBackend} from '../../native/binding.js';
import {isRoundedData} from '../../native/half-cache.js';
import {roundedCopy} from '../tensorflow/AmpQuantize.js';

/**
 * Runs a fused kernel and, when its attributes ask for it ({@link ROUND_OUTPUT_ATTR}), returns
 * its result rounded to that format in place of the float32 result: one tensor, so the gradient
 * tape saves the rounded values only (a natively-run kernel's result is rounded already). The
 * float32 result is freed.
 */
export function withRoundedOutput(kernel: KernelFunc): KernelFunc {
  return (args) => {
    const out = kernel(args) as TensorInfo;
    const format = (args.attrs as NamedAttrMap | undefined)?.[ROUND_OUTPUT_ATTR] as
      | FormatName
      | undefined;
    const node = asNodeBackend(args.backend);
    if (format == null || node == null || out.dtype !== 'float32' || isRoundedData(out, format)) {
      return out;
    }
    const rounded = roundedCopy(node, out, format);
    if (rounded == null) return out;
    (node as unknown as {disposeData(dataId: object): void}).disposeData(out.dataId as object);
    return rounded;
  };
}
