import type * as tf from '@tensorflow/tfjs';
import {type FormatName, fusedConv2d, fusedMatMul, relu} from '@tfjs-amp/kernels';
import {layerExecution} from './execution.js';
import type {Layer} from './layer-walk.js';

type LayerVariable = tf.LayerVariable;

/**
 * Layers whose `call` reads its floating inputs and its kernels only through the native matrix
 * kernels, with whether its bias goes through a native fused epilogue too (Dense and Conv2D call
 * tfjs's fused ops with the bias; the others add it with a float32 op).
 */
const SHORTCUT_LAYERS: Readonly<Record<string, {readonly fusedBias: boolean}>> = Object.freeze({
  Conv1D: {fusedBias: false},
  Conv2D: {fusedBias: true},
  Conv2DTranspose: {fusedBias: false},
  Dense: {fusedBias: true},
  DepthwiseConv2D: {fusedBias: false},
  SeparableConv2D: {fusedBias: false},
});

/**
 * Activations whose output holds only values of the input (and 0 or 6): on a rounded input, a
 * rounded output.
 */
const VALUE_SELECTING_ACTIVATIONS: ReadonlySet<string> = new Set(['relu', 'relu6']);

/** What a layer that runs natively can leave to the native kernels. */
export interface NativeShortcut {
  /** Weights read only by native kernels, which cast them once (no float32 rounded copy). */
  readonly nativeWeights: ReadonlySet<LayerVariable>;
  /**
   * The activation to apply after the call, with the layer's own set to linear during it, so the
   * bias goes through the native fused epilogue (tfjs fuses no other activation while a gradient
   * tape records); null when the layer's own activation runs inside.
   */
  readonly activationAfter: {apply(x: tf.Tensor): tf.Tensor} | null;
  /** Whether the output of `activationAfter` on a rounded input is rounded (relu, relu6). */
  readonly keepsRounding: boolean;
  /**
   * For a Dense or Conv2D layer: its whole call as one fused kernel (product, bias, relu) with
   * only the gradients the tape needs; null (from it, or instead of it) to run the layer's own
   * call (Dense inputs of rank other than 2, channels-first or dilated convolutions).
   */
  readonly direct: ((x: tf.Tensor) => tf.Tensor | null) | null;
  /** Whether {@link direct}'s output is rounded (relu or linear: the fused epilogue's own). */
  readonly directKeepsRounding: boolean;
}

/**
 * The cast points a layer can skip because its every kernel runs natively in `format`
 * (`layerExecution` is `native`): its inputs and kernels reach only native kernels, whose Cast to
 * the format rounds exactly as `quantize` does, once per tensor through the cast cache, and whose
 * outputs already hold the format's values (so the gradients reaching those inputs and kernels
 * are rounded already too). Dense and Conv2D also hand their bias to the native epilogue: their
 * call runs with a linear activation (the bias added in the format, as Keras adds it to a mixed
 * Dense layer's 16-bit product) and the activation is applied after it, on the rounded sum.
 * Null when the layer is not one of these classes or does not run natively here (for a Dense
 * layer, at the size of `input`: a small product may run natively where a large one does not).
 */
export function nativeShortcut(
  layer: Layer,
  format: FormatName,
  input?: tf.Tensor | null,
): NativeShortcut | null {
  const spec = SHORTCUT_LAYERS[layer.getClassName()];
  if (
    spec == null ||
    layerExecution(layer, format, denseMacs(layer, input)).execution !== 'native'
  ) {
    return null;
  }
  const activation = (layer as unknown as {activation?: Activation | null}).activation ?? null;
  const swap = spec.fusedBias && activation != null && activation.getClassName() !== 'linear';
  const nativeWeights = new Set<LayerVariable>();
  for (const w of layer.weights) {
    const name = w.originalName ?? w.name;
    if (/kernel$/.test(name) || (spec.fusedBias && /bias$/.test(name))) nativeWeights.add(w);
  }
  return {
    nativeWeights,
    activationAfter: swap ? activation : null,
    keepsRounding: swap && VALUE_SELECTING_ACTIVATIONS.has(activation.getClassName()),
    direct: fusedCall(layer, {}),
    directKeepsRounding:
      activation == null || ['linear', 'relu'].includes(activation.getClassName()),
  };
}

/**
 * A Dense layer's multiply-adds per row of its input (inputs · units), or undefined for other
 * layers (and a Dense layer not built yet).
 */
export function denseMacsPerRow(layer: Layer): number | undefined {
  if (layer.getClassName() !== 'Dense') return undefined;
  const kernel = (layer as unknown as {kernel?: {shape: number[]} | null}).kernel;
  if (kernel == null || kernel.shape.length !== 2) return undefined;
  return kernel.shape[0]! * kernel.shape[1]!;
}

/**
 * A Dense layer's multiply-adds for a call on `input` (rows · inputs · units, what each of its
 * three products does), or undefined for other layers and inputs of rank other than 2.
 */
export function denseMacs(layer: Layer, input: tf.Tensor | null | undefined): number | undefined {
  const perRow = denseMacsPerRow(layer);
  if (perRow == null || input == null || input.rank !== 2) return undefined;
  return input.shape[0]! * perRow;
}

/**
 * A Dense or Conv2D layer's call as one fused kernel from @tfjs-amp/kernels (product, bias, relu)
 * whose registered gradient computes only what the tape needs, relu's as one op on tfjs-node; the
 * same values as the layer's own call. With `roundOutputTo`, the kernel rounds its result when it
 * is the layer's output (relu or linear), so an emulated layer holds one rounded output instead of
 * a float32 one beside its rounded copy; relu's gradient then reads the rounded output, as a
 * 16-bit kernel's does. With `roundInputTo` (the layer's input went through a cast point to it),
 * the kernel of the input's gradient rounds its own result, so no float32 input gradient is held
 * beside the rounded one the cast point passes on. An `activation('relu')` layer runs the
 * kernels' `relu`, whose gradient is the fused ops' (one TF op on tfjs-node). Null for other
 * layers; the function returns null for inputs it does not take (the layer's own call runs then).
 */
export function fusedCall(
  layer: Layer,
  rounding: FusedRounding,
): ((x: tf.Tensor) => tf.Tensor | null) | null {
  const activation = (layer as unknown as {activation?: Activation | null}).activation ?? null;
  if (layer.getClassName() === 'Dense') {
    return (x) => denseCall(layer, x, activation, rounding);
  }
  if (layer.getClassName() === 'Conv2D') {
    return (x) => conv2dCall(layer, x, activation, rounding);
  }
  if (layer.getClassName() === 'Activation' && activation?.getClassName() === 'relu') {
    // The fused ops' relu gradient (one ReluGrad, 16-bit on 16-bit operands), not tfjs's
    // float32 dy · step(x).
    return (x) => (x.dtype === 'float32' ? relu(x) : null);
  }
  return null;
}

/** The formats {@link fusedCall} rounds to: none where undefined. */
export interface FusedRounding {
  /** The layer's output. */
  readonly output?: FormatName;
  /** The layer's weight matrix or filter, read rounded inside each product. */
  readonly kernel?: FormatName;
  /** The layer's input, already rounded by its cast point: its gradient is rounded by a kernel. */
  readonly input?: FormatName;
}

/**
 * The Dense or Conv2D layer's kernel when {@link fusedCall} with `rounding.kernel` rounds it inside
 * the fused kernel for a call on `x` (so the caller must not round its reads); null otherwise
 * (other layers, inputs the fused call does not take).
 */
export function kernelRoundedByFusedCall(layer: Layer, x: tf.Tensor | null): LayerVariable | null {
  if (x == null) return null;
  const name = layer.getClassName();
  const takes = name === 'Dense' ? denseTakes(x) : name === 'Conv2D' && conv2dTakes(layer, x);
  return takes ? (layer as unknown as {kernel: LayerVariable}).kernel : null;
}

/** Whether {@link denseCall} takes `x` (a float32 matrix; the layer's own call reshapes others). */
function denseTakes(x: tf.Tensor): boolean {
  return x.rank === 2 && x.dtype === 'float32';
}

/**
 * A Dense layer's call, `activation(x · kernel + bias)`, through `fusedMatMul` from
 * @tfjs-amp/kernels: while a tape records, tfjs's own Dense splits relu off the fused op, and
 * differentiates the fused op with a closure that also computes the gradient of the model's input
 * data. Relu is fused; another activation is applied after. Null for inputs of rank other than 2
 * (the layer's own call reshapes those). With `rounding.kernel`, the kernel is read at full
 * precision and the fused kernel rounds it (`roundWeightTo`): no rounded copy outlives a product.
 */
function denseCall(
  layer: Layer,
  x: tf.Tensor,
  activation: Activation | null,
  rounding: FusedRounding,
): tf.Tensor | null {
  if (!denseTakes(x)) return null;
  const dense = layer as unknown as {kernel: LayerVariable; bias: LayerVariable | null};
  return withActivation(activation, (fused, last) =>
    fusedMatMul({
      a: x as tf.Tensor2D,
      b: dense.kernel.read() as tf.Tensor2D,
      bias: dense.bias?.read() as tf.Tensor1D | undefined,
      activation: fused,
      roundOutputTo: last ? rounding.output : undefined,
      roundWeightTo: rounding.kernel,
      roundInputTo: rounding.input,
    }),
  );
}

/**
 * A Conv2D layer's call, `activation(conv2d(x, kernel) + bias)`, through `fusedConv2d` from
 * @tfjs-amp/kernels, for the channels-last, undilated case (null otherwise: the layer's own call).
 */
function conv2dCall(
  layer: Layer,
  x: tf.Tensor,
  activation: Activation | null,
  rounding: FusedRounding,
): tf.Tensor | null {
  if (!conv2dTakes(layer, x)) return null;
  const conv = layer as unknown as ConvLayer;
  return withActivation(activation, (fused, last) =>
    fusedConv2d({
      x: x as tf.Tensor4D,
      filter: conv.kernel.read() as tf.Tensor4D,
      strides: conv.strides as [number, number],
      pad: conv.padding as 'same' | 'valid',
      bias: conv.bias?.read() as tf.Tensor1D | undefined,
      activation: fused,
      roundOutputTo: last ? rounding.output : undefined,
      roundWeightTo: rounding.kernel,
      roundInputTo: rounding.input,
    }),
  );
}

/** The Conv2D attributes {@link conv2dCall} reads. */
interface ConvLayer {
  kernel: LayerVariable;
  bias: LayerVariable | null;
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number | number[];
}

/** Whether {@link conv2dCall} takes `x`: float32 NHWC, undilated, 'same' or 'valid' padding. */
function conv2dTakes(layer: Layer, x: tf.Tensor): boolean {
  const conv = layer as unknown as ConvLayer;
  return (
    x.rank === 4 &&
    x.dtype === 'float32' &&
    conv.dataFormat === 'channelsLast' &&
    [conv.dilationRate].flat().every((d) => d === 1) &&
    (conv.padding === 'same' || conv.padding === 'valid')
  );
}

/**
 * `run` with relu fused when the layer's activation is relu (linear otherwise), then the layer's
 * activation when the fused kernel could not take it. `run` is told whether its result is the
 * layer's output (no activation follows).
 */
function withActivation(
  activation: Activation | null,
  run: (fused: 'linear' | 'relu', last: boolean) => tf.Tensor,
): tf.Tensor {
  const name = activation?.getClassName() ?? 'linear';
  const fused = name === 'relu' ? 'relu' : 'linear';
  const y = run(fused, name === fused || activation == null);
  return name === fused || activation == null ? y : activation.apply(y);
}

interface Activation {
  getClassName(): string;
  apply(x: tf.Tensor): tf.Tensor;
}

/** A linear activation for the duration of a call (what {@link nativeShortcut} swaps in). */
export const LINEAR_ACTIVATION: Activation = Object.freeze({
  getClassName: () => 'linear',
  apply: (x: tf.Tensor) => x,
});
