import * as tf from '@tensorflow/tfjs';
import type {KernelFunc, TensorInfo} from '@tensorflow/tfjs';
import {type ConvKind, convProgram} from './conv-program.js';
import {FUSED_ACTIVATIONS, type FusedActivation, type FusedEpilogue} from './epilogue.js';
import {runWebGPUOverride, type WebGPUOverrideArgs} from './run-webgpu-override.js';
import {runWgsl} from './wgsl-program.js';

type Shape4 = [number, number, number, number];

/** The attributes the Conv2D family's kernels carry (each kernel has a subset). */
interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape?: Shape4;
  filterShape?: Shape4;
  activation?: string;
  leakyreluAlpha?: number;
}

/** The two inputs of each kind, in tfjs's input names. */
const INPUTS: Readonly<Record<ConvKind, [string, string]>> = {
  forward: ['x', 'filter'],
  input: ['dy', 'filter'],
  filter: ['x', 'dy'],
};

/**
 * One factory for the six convolution overrides on webgpu (Conv2D, Conv2DBackpropInput,
 * Conv2DBackpropFilter and their depthwise counterparts): the float16 WGSL program of
 * `convProgram` in a float16 compute context on a `shader-f16` device, the backend's own kernel
 * otherwise (and for NCHW, which tfjs's layers do not use on webgpu).
 */
export function convOverride(
  kernelName: string,
  kind: ConvKind,
  depthwise: boolean,
  fused = false,
): KernelFunc {
  const [name1, name2] = INPUTS[kind];
  return (args) => {
    const inputs = args.inputs as Record<string, TensorInfo | undefined>;
    const first = inputs[name1]!;
    const second = inputs[name2]!;
    const attrs = args.attrs as unknown as ConvAttrs;
    return runWebGPUOverride(args as WebGPUOverrideArgs, {
      kernelName,
      matrixInputs: [first, second],
      run: (backend) => {
        if (attrs.dataFormat === 'NCHW') return null;
        const xShape = kind === 'input' ? attrs.inputShape : (first.shape as Shape4);
        const filterShape = kind === 'filter' ? attrs.filterShape : (second.shape as Shape4);
        if (xShape == null || filterShape == null) return null;
        const info = tf.backend_util.computeConv2DInfo(
          xShape,
          filterShape,
          attrs.strides,
          attrs.dilations ?? 1,
          attrs.pad,
          attrs.dimRoundingMode,
          depthwise,
          'channelsLast',
        );
        const dy = kind === 'forward' ? null : kind === 'input' ? first : second;
        if (dy != null && !tf.util.arraysEqual(dy.shape, info.outShape)) return null;
        const outShape =
          kind === 'forward' ? info.outShape : kind === 'input' ? info.inShape : info.filterShape;
        if (tf.util.sizeFromShape(outShape) === 0) return null;
        const epilogue = fused ? fusedEpilogue(inputs, attrs, info.outChannels) : null;
        if (fused && epilogue == null) return null;
        const bias = fused ? inputs.bias : undefined;
        return runWgsl(
          backend,
          convProgram(kind, info, depthwise, epilogue),
          bias == null ? [first, second] : [first, second, bias],
          [...outShape],
        );
      },
    });
  };
}

/**
 * The epilogue of a fused convolution, or null for what the WGSL kernel does not fuse (prelu,
 * a bias that is not per output channel or a scalar): then the backend's own kernel runs.
 */
function fusedEpilogue(
  inputs: Record<string, TensorInfo | undefined>,
  attrs: ConvAttrs,
  outChannels: number,
): FusedEpilogue | null {
  const activation = attrs.activation ?? 'linear';
  if (inputs.preluActivationWeights != null || !FUSED_ACTIVATIONS.has(activation)) return null;
  let biasSize: number | null = null;
  if (inputs.bias != null) {
    biasSize = tf.util.sizeFromShape(inputs.bias.shape);
    if (inputs.bias.dtype !== 'float32' || (biasSize !== 1 && biasSize !== outChannels))
      return null;
  }
  return {
    biasSize,
    activation: activation as FusedActivation,
    leakyreluAlpha: attrs.leakyreluAlpha ?? 0.2,
  };
}
