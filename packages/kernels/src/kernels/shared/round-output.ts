import type {KernelFunc, NamedAttrMap, TensorInfo} from '@tensorflow/tfjs';
import type {FormatName} from '../../formats/format-spec.js';
import {ROUND_OUTPUT_ATTR, ROUND_WEIGHT_ATTR} from '../../kernel-names.js';
import {asNodeBackend} from '../../native/binding.js';
import {isRoundedData} from '../../native/half-cache.js';
import {roundedCopy} from '../tensorflow/AmpQuantize.js';

/**
 * Runs a fused kernel and, when its attributes ask for it ({@link ROUND_OUTPUT_ATTR}), returns
 * its result rounded to that format in place of the float32 result: one tensor, so the gradient
 * tape saves the rounded values only (a natively-run kernel's result is rounded already), held
 * in 16 bits where the format has a TF dtype. The float32 result is freed.
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
    // The float32 result is freed as soon as its 16-bit copy exists, before that is widened.
    return roundedCopy(node, out, format, {consume: true}) ?? out;
  };
}

/**
 * Runs a kernel whose attributes may ask ({@link ROUND_WEIGHT_ATTR}) for its input `name` read
 * rounded to a format: the kernel gets a rounded copy, freed as soon as it returns, so nothing
 * but the caller's float32 tensor outlives the call (the gradient rounds it again). An input
 * known to hold the format's values already is passed as it is.
 */
export function withRoundedWeight(name: string, kernel: KernelFunc): KernelFunc {
  return (args) => {
    const format = (args.attrs as NamedAttrMap | undefined)?.[ROUND_WEIGHT_ATTR] as
      | FormatName
      | undefined;
    const node = asNodeBackend(args.backend);
    const inputs = args.inputs as Record<string, TensorInfo>;
    const weight = inputs[name];
    if (format == null || node == null || weight == null || isRoundedData(weight, format)) {
      return kernel(args);
    }
    const rounded = roundedCopy(node, weight, format, {float32: true});
    if (rounded == null) {
      throw new Error(
        `tfjs-amp: ${ROUND_WEIGHT_ATTR} '${format}' needs TensorFlow's Cast to ${format}, ` +
          'which this device lacks; round the weight with quantize() instead.',
      );
    }
    try {
      return kernel({...args, inputs: {...inputs, [name]: rounded}});
    } finally {
      node.disposeData(rounded.dataId as object);
    }
  };
}
