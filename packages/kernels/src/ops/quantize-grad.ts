import * as tf from '@tensorflow/tfjs';
import type {GradConfig, NamedAttrMap, Tensor} from '@tensorflow/tfjs';
import {AmpQuantize, type AmpQuantizeAttrs} from '../kernel-names.js';
import {ensureAmpKernels} from '../kernels/register-kernels.js';

/**
 * Straight-through gradient of {@link AmpQuantize}: dy passes through, itself rounded to
 * `gradFormat` (never saturated, so a gradient overflow shows up as Inf/NaN for loss scaling).
 * `gradFormat: 'float32'` passes dy unchanged.
 */
export const quantizeGradConfig: GradConfig = {
  kernelName: AmpQuantize,
  gradFunc: (dy: Tensor | Tensor[], _saved: Tensor[], attrs: NamedAttrMap) => {
    const {gradFormat} = attrs as unknown as AmpQuantizeAttrs;
    const gradAttrs: AmpQuantizeAttrs = {format: gradFormat, saturate: false, gradFormat};
    return {
      x: () => {
        ensureAmpKernels(tf.getBackend());
        return tf
          .engine()
          .runKernel(
            AmpQuantize,
            {x: dy as Tensor},
            gradAttrs as unknown as NamedAttrMap,
          ) as Tensor;
      },
    };
  },
};
