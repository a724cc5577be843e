import type {NamedAttrMap, TensorInfo} from '@tensorflow/tfjs';
import type {FormatSpec} from '../../formats/format-spec.js';
import {resolveFormat} from '../../formats/index.js';
import {describeValue, wrongType} from '../../internal/errors.js';
import type {AmpQuantizeAttrs} from '../../kernel-names.js';
import {type RoundingPlan, roundingPlan} from '../../rounding/round-bits.js';

/**
 * Checks what an `AmpQuantize` kernel receives and returns the format and its rounding plan.
 * `quantize` has checked its arguments already; this guards direct
 * `tf.engine().runKernel('AmpQuantize', …)` calls.
 * @throws TypeError for a non-float32 input, an unknown format or a non-boolean `saturate`.
 */
export function quantizeKernelInput(
  x: TensorInfo,
  attrs: NamedAttrMap | undefined,
): {spec: FormatSpec; plan: RoundingPlan} {
  if (x.dtype !== 'float32') {
    throw wrongType(
      'AmpQuantize',
      'x',
      'a float32 tensor',
      x.dtype,
      "Cast it first: tf.cast(x, 'float32').",
    );
  }
  const {format, saturate = false} = (attrs ?? {}) as Partial<AmpQuantizeAttrs>;
  if (typeof saturate !== 'boolean') {
    throw wrongType('AmpQuantize', 'attrs.saturate', 'a boolean', describeValue(saturate));
  }
  const spec = resolveFormat(format, 'AmpQuantize', 'attrs.format');
  return {spec, plan: roundingPlan(spec, saturate)};
}
