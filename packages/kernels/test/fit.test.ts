// quantize inside model.fit: a custom layer computes with float16-rounded inputs and weights
// (what a mixed_float16 Dense does on half-precision hardware). The gradient that reaches its
// float32 kernel variable comes through quantize's straight-through gradient, so every value of
// it must be float16-representable; with gradFormat: null it is plain float32.
import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {type FormatName, quantize, type QuantizeOptions, roundArray} from '@tfjs-amp/kernels';

class QuantizedDense extends tf.layers.Layer {
  static className = 'QuantizedDense';
  private kernel: tf.LayerVariable | null = null;

  constructor(
    private readonly units: number,
    private readonly format: FormatName,
    private readonly options: QuantizeOptions,
  ) {
    super({name: 'quantized_dense'});
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = inputShape as tf.Shape;
    this.kernel = this.addWeight(
      'kernel',
      [shape[shape.length - 1]!, this.units],
      'float32',
      tf.initializers.glorotUniform({seed: 7}),
    );
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return [(inputShape as tf.Shape)[0]!, this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const q = (t: tf.Tensor) => quantize(t, this.format, this.options);
      return tf.matMul(q(x), q(this.kernel!.read()));
    });
  }

  kernelName(): string {
    return this.kernel!.name;
  }
}

/** SGD that keeps a copy of every gradient it applies, by variable name. */
class RecordingSGD extends tf.SGDOptimizer {
  readonly seen = new Map<string, Float32Array[]>();

  override applyGradients(grads: Parameters<tf.SGDOptimizer['applyGradients']>[0]): void {
    const named = Array.isArray(grads)
      ? grads
      : Object.entries(grads).map(([name, tensor]) => ({name, tensor}));
    for (const {name, tensor} of named) {
      const list = this.seen.get(name) ?? [];
      list.push((tensor.dataSync() as Float32Array).slice());
      this.seen.set(name, list);
    }
    super.applyGradients(grads);
  }
}

/** Trains 2 epochs × 4 batches and returns the gradients of the quantized layer's kernel. */
async function fitAndRecord(options: QuantizeOptions): Promise<Float32Array[]> {
  const layer = new QuantizedDense(1, 'float16', options);
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        units: 8,
        inputShape: [4],
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({seed: 3}),
      }),
      layer,
    ],
  });
  const optimizer = new RecordingSGD(0.05);
  model.compile({optimizer, loss: 'meanSquaredError'});
  const xs = tf.randomNormal([32, 4], 0, 1, 'float32', 11);
  const ys = tf.randomNormal([32, 1], 0, 1, 'float32', 12);
  await expectNoLeaks(async () => {
    const history = await model.fit(xs, ys, {epochs: 2, batchSize: 8, shuffle: false, verbose: 0});
    expect(history.history.loss).toHaveLength(2);
  });
  const grads = optimizer.seen.get(layer.kernelName()) ?? [];
  tf.dispose([xs, ys]);
  model.dispose();
  return grads;
}

function isFloat16Representable(values: Float32Array): boolean {
  const rounded = new Uint32Array(roundArray(values, 'float16').buffer);
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  return bits.every((b, i) => b === rounded[i]);
}

describeBackends(['cpu', 'wasm'], () => {
  describe('quantize in model.fit', () => {
    it('gives the float32 kernel variable float16-rounded gradients', async () => {
      const grads = await fitAndRecord({});
      expect(grads).toHaveLength(8); // 2 epochs × 32/8 batches
      for (const g of grads) {
        expect(g.some((v) => v !== 0)).toBe(true);
        expect(isFloat16Representable(g)).toBe(true);
      }
    });

    it('gives plain float32 gradients with gradFormat: null (so the check above can fail)', async () => {
      const grads = await fitAndRecord({gradFormat: null});
      expect(grads).toHaveLength(8);
      expect(grads.some((g) => !isFloat16Representable(g))).toBe(true);
    });
  });
});
