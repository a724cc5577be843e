import * as tf from '@tensorflow/tfjs';
import type {KernelConfig, KernelFunc, NamedAttrMap, TensorInfo} from '@tensorflow/tfjs';
import {HandleScope, type NodeBackend} from '../../native/binding.js';
import {convAttrs} from '../../native/conv-attrs.js';
import {
  type Epilogue,
  epilogue,
  type NativeInput,
  runHalfOp,
  runNativeOp,
} from '../../native/native-op.js';
import {isElementwiseOpSupported} from '../../native/probe.js';
import type {NativeOpName} from '../../native/probe.js';
import {type OverrideArgs, runOverride} from '../../native/overrides.js';

type Shape4 = [number, number, number, number];
type Inputs = Record<string, TensorInfo | undefined>;

/** The geometry `tf.backend_util.computeConv2DInfo` takes, read from one kernel's inputs and attrs. */
export interface ConvGeometry {
  readonly inShape: Shape4;
  readonly filterShape: Shape4;
  readonly strides: number | [number, number];
  readonly dilations: number | [number, number];
  readonly pad: Parameters<typeof tf.backend_util.computeConv2DInfo>[4];
  readonly dimRoundingMode?: 'floor' | 'round' | 'ceil';
  /** Data format as computeConv2DInfo spells it; default channelsLast. */
  readonly dataFormat?: 'channelsFirst' | 'channelsLast';
}

/** What distinguishes one of the tensorflow backend's convolution overrides from another. */
export interface TensorflowConvSpec {
  /** tfjs kernel name, overridden on the `tensorflow` backend. */
  readonly kernelName: string;
  /** The TF op run in the compute format (for FusedConv2D: `Conv2D`, then the epilogue). */
  readonly op: NativeOpName;
  /** Depthwise convolution (computeConv2DInfo's `depthwise`). */
  readonly depthwise: boolean;
  /** Whether TF's op takes explicit padding (the forward ops; the gradients do not). */
  readonly allowExplicit: boolean;
  /** The float inputs the TF op reads, for the dispatch and the backward marks. */
  readonly matrixInputs: (inputs: Inputs) => TensorInfo[];
  /** The geometry, or null to delegate to tfjs-node's kernel (a layout TF cannot run natively). */
  readonly geometry: (inputs: Inputs, attrs: NamedAttrMap) => ConvGeometry | null;
  /** The TF op's inputs in order (shape operands as int32 vectors). */
  readonly opInputs: (inputs: Inputs, info: tf.backend_util.Conv2DInfo) => NativeInput[];
  /** Fused kernels: bias and activation after the op, in the format where TF has them. */
  readonly fused?: boolean;
}

/**
 * One kernel function for every convolution override of the `tensorflow` backend (tfjs's
 * kernels are made the same way): in a float16/bfloat16 compute-format context (or its backward
 * pass) the TF op runs natively in that format; anywhere else tfjs-node's own kernel runs
 * (`runOverride`). The eight files of kernels/tensorflow/ differ only in their spec.
 */
export function tensorflowConvKernel(spec: TensorflowConvSpec): KernelFunc {
  return (args) => {
    const inputs = args.inputs as Inputs;
    const attrs = args.attrs as NamedAttrMap;
    return runOverride(args as OverrideArgs, {
      kernelName: spec.kernelName,
      backendName: 'tensorflow',
      op: spec.op,
      matrixInputs: spec.matrixInputs(inputs),
      native: (node, format) => {
        const g = spec.geometry(inputs, attrs);
        if (g == null) return null;
        const info = tf.backend_util.computeConv2DInfo(
          g.inShape,
          g.filterShape,
          g.strides,
          g.dilations,
          g.pad,
          g.dimRoundingMode,
          spec.depthwise,
          g.dataFormat,
        );
        const opAttrs = convAttrs(node.binding, info, {allowExplicit: spec.allowExplicit});
        if (opAttrs == null) return null;
        const opInputs = spec.opInputs(inputs, info);
        if (!spec.fused) return runNativeOp(node, spec.op, format, opAttrs, opInputs);
        return fusedEpilogue(node, spec.op, format, opAttrs, opInputs, inputs, attrs);
      },
    });
  };
}

function fusedEpilogue(
  node: NodeBackend,
  op: NativeOpName,
  format: Parameters<typeof runNativeOp>[2],
  opAttrs: Parameters<typeof runNativeOp>[3],
  opInputs: NativeInput[],
  inputs: Inputs,
  attrs: NamedAttrMap,
): TensorInfo {
  const scope = new HandleScope(node.binding);
  try {
    const product = runHalfOp(node, scope, op, format, opAttrs, opInputs);
    const fused: Epilogue = {
      bias: inputs.bias,
      activation: attrs.activation as Epilogue['activation'],
      preluActivationWeights: inputs.preluActivationWeights,
      leakyreluAlpha: attrs.leakyreluAlpha as number | undefined,
    };
    return epilogue(node, scope, product, format, fused, (name) =>
      isElementwiseOpSupported(node, name, format),
    );
  } finally {
    scope.dispose();
  }
}

/** The kernel config of a {@link tensorflowConvKernel} (pass the function already made, if any). */
export function tensorflowConvConfig(
  spec: TensorflowConvSpec,
  kernelFunc: KernelFunc = tensorflowConvKernel(spec),
): KernelConfig {
  return {kernelName: spec.kernelName, backendName: 'tensorflow', kernelFunc};
}

/** `x.shape` as the 4-d shape it is for every convolution input. */
export function shape4(x: TensorInfo | undefined): Shape4 {
  return x!.shape as Shape4;
}
