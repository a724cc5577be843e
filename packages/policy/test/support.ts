// Helpers for the policy tests: references built by hand at the documented cast points.
import * as tf from '@tensorflow/tfjs';
import {type FormatName, quantize} from '@tfjs-amp/kernels';
import {expectBitsEqual} from '@tfjs-amp/test-utils';

type Layer = tf.layers.Layer;

/** `quantize(x, format)`: the only rounding step references use. */
export function q<T extends tf.Tensor>(x: T, format: FormatName = 'float16'): T {
  return quantize(x, format);
}

/** A deterministic float32 tensor with values spread over [-scale, scale), many not float16-exact. */
export function values(shape: number[], seed: number, scale = 2): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    // xorshift32: reproducible on every backend and machine.
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32 - 0.5) * 2 * scale;
  }
  return tf.tensor(out, shape);
}

/** Copies of every weight value of a layer or model, as float32 arrays. */
export function weightValues(layer: Layer): Float32Array[] {
  return layer.weights.map((w) => Float32Array.from(w.read().dataSync() as Float32Array));
}

/** Asserts two weight snapshots are bit-identical. */
export function expectWeightsBitsEqual(actual: Float32Array[], expected: Float32Array[]): void {
  if (actual.length !== expected.length) {
    throw new Error(`weight count ${actual.length} != ${expected.length}`);
  }
  actual.forEach((a, i) => {
    expectBitsEqual(a, expected[i]!, `weight ${i}`);
  });
}

/**
 * Runs `fn` with the layer's weights replaced by their values rounded to `format` (then puts the
 * float32 values back). The layer must be uninstrumented: this is the hand-made reference.
 */
export function withRoundedWeights<T>(layer: Layer, format: FormatName, fn: () => T): T {
  const originals = layer.weights.map((w) => w.read().clone());
  const rounded = originals.map((w) => q(w, format));
  try {
    layer.setWeights(rounded);
    return fn();
  } finally {
    layer.setWeights(originals);
    tf.dispose([...originals, ...rounded]);
  }
}

/**
 * Reference for one layer call under a mixed policy: q(layer(q(x)) with weights q(W)), using the
 * layer's own float32 arithmetic (`layer` uninstrumented).
 */
export function referenceCall(
  layer: Layer,
  x: tf.Tensor,
  format: FormatName = 'float16',
  kwargs: Record<string, unknown> = {},
  {roundInputs = true, roundOutputs = true} = {},
): tf.Tensor {
  return tf.tidy(() =>
    withRoundedWeights(layer, format, () => {
      const out = layer.apply(roundInputs ? q(x, format) : x, kwargs) as tf.Tensor;
      return roundOutputs ? q(out, format) : out;
    }),
  );
}

/**
 * Reference for an RNN layer (returnSequences false, no masking): every timestep runs the cell's
 * own `call` on q(x_t) and the rounded states, with weights q(W); the new states are rounded.
 */
export function referenceRnn(
  rnnLayer: Layer,
  x: tf.Tensor3D,
  format: FormatName = 'float16',
  goBackwards = false,
): tf.Tensor {
  const cell = (rnnLayer as unknown as {cell: Layer}).cell;
  const stateSize = (cell as unknown as {stateSize: number | number[]}).stateSize;
  const sizes = Array.isArray(stateSize) ? stateSize : [stateSize];
  return tf.tidy(() =>
    withRoundedWeights(rnnLayer, format, () => {
      const [batch, steps] = x.shape;
      const xs = q(x, format);
      let states: tf.Tensor[] = sizes.map((n) => tf.zeros([batch, n]));
      let output: tf.Tensor = states[0]!;
      for (let i = 0; i < steps; i++) {
        const t = goBackwards ? steps - 1 - i : i;
        const xt = q(xs.slice([0, t, 0], [batch, 1, -1]).reshape([batch, -1]), format);
        const outs = cell.call([xt, ...states.map((s) => q(s, format))], {
          training: false,
        }) as tf.Tensor[];
        output = q(outs[0]!, format);
        states = outs.slice(1).map((s) => q(s, format));
      }
      return output;
    }),
  );
}

/** A layer with two weight vectors and its own math, written as users write custom layers. */
export class ScaleShift extends tf.layers.Layer {
  static className = 'ScaleShift';
  private scale!: tf.LayerVariable;
  private shift!: tf.LayerVariable;

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const units = shape[shape.length - 1]!;
    this.scale = this.addWeight(
      'scale',
      [units],
      'float32',
      tf.initializers.randomNormal({seed: 1}),
    );
    this.shift = this.addWeight(
      'shift',
      [units],
      'float32',
      tf.initializers.randomNormal({seed: 2}),
    );
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      return tf.tanh(tf.add(tf.mul(x, this.scale.read()), this.shift.read()));
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }
}
tf.serialization.registerClass(ScaleShift);
