import type {backend_util} from '@tensorflow/tfjs';
import type {TfBinding, TfOpAttr} from './binding.js';

type Conv2DInfo = backend_util.Conv2DInfo;

/** Padding kinds a TF convolution op takes; tfjs's `NUMBER` padding is not one of them. */
const TF_PADDINGS = new Set(['VALID', 'SAME', 'EXPLICIT']);

/**
 * The attributes TF's Conv2D-family ops take for a tfjs `Conv2DInfo`: strides, padding,
 * data_format, dilations and, for `EXPLICIT` padding, explicit_paddings (NHWC: `[0,0, top,bottom,
 * left,right, 0,0]`). Returns null for a padding TF has no name for, so the kernel delegates and
 * the backend's own kernel reports it.
 */
export function convAttrs(
  binding: TfBinding,
  info: Conv2DInfo,
  options: {allowExplicit: boolean},
): TfOpAttr[] | null {
  const padding = info.padInfo.type;
  if (!TF_PADDINGS.has(padding) || (padding === 'EXPLICIT' && !options.allowExplicit)) return null;
  const channelsLast = info.dataFormat === 'channelsLast';
  const attrs: TfOpAttr[] = [
    {
      name: 'strides',
      type: binding.TF_ATTR_INT,
      value: spatial(channelsLast, info.strideHeight, info.strideWidth),
    },
    {name: 'padding', type: binding.TF_ATTR_STRING, value: padding},
    {name: 'data_format', type: binding.TF_ATTR_STRING, value: channelsLast ? 'NHWC' : 'NCHW'},
    {
      name: 'dilations',
      type: binding.TF_ATTR_INT,
      value: spatial(channelsLast, info.dilationHeight, info.dilationWidth),
    },
  ];
  if (padding === 'EXPLICIT') {
    const {top, bottom, left, right} = info.padInfo;
    attrs.push({
      name: 'explicit_paddings',
      type: binding.TF_ATTR_INT,
      value: channelsLast
        ? [0, 0, top, bottom, left, right, 0, 0]
        : [0, 0, 0, 0, top, bottom, left, right],
    });
  }
  return attrs;
}

/** A 4-vector with `h, w` in the spatial positions of the data format and 1 elsewhere. */
function spatial(channelsLast: boolean, h: number, w: number): number[] {
  return channelsLast ? [1, h, w, 1] : [1, 1, h, w];
}
