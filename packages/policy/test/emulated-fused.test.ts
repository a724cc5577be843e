// An emulated Dense layer on tfjs-node (a format the dispatch does not run natively) goes through
// the fused kernel of @tfjs-amp/kernels: the layer's values, relu's gradient as one TF op, and no
// gradient for the model's input data.
import * as tf from '@tensorflow/tfjs';
import {type NativeDispatch, quantize, setNativeDispatch} from '@tfjs-amp/kernels';
import {NativeOpSpy, describeBackends, expectBitsEqual} from '@tfjs-amp/test-utils';
import {afterAll, beforeAll, expect, it} from 'vitest';
import {applyPolicy} from '../src/index.js';

/** The ops tfjs-node executes while `body` runs, in order. */
function opsOf<T>(body: () => T): [T, string[]] {
  const spy = new NativeOpSpy();
  try {
    return [body(), spy.ops];
  } finally {
    spy.restore();
  }
}

describeBackends(['tensorflow'], () => {
  let previous: NativeDispatch;
  beforeAll(() => {
    previous = setNativeDispatch('none'); // every policy emulated, on any CPU
  });
  afterAll(() => {
    setNativeDispatch(previous);
  });

  for (const format of ['float16', 'bfloat16'] as const) {
    it(`mixed_${format} emulated: the layer's values and gradients, in fewer ops`, () => {
      const x = tf.randomNormal([6, 5], 0, 1, 'float32', 1);
      const model = tf.sequential({
        layers: [
          tf.layers.dense({
            inputShape: [5],
            units: 4,
            activation: 'relu',
            kernelInitializer: tf.initializers.randomNormal({seed: 2}),
            biasInitializer: tf.initializers.randomNormal({seed: 3}),
          }),
        ],
      });
      applyPolicy(model, `mixed_${format}`);
      const [kernel, bias] = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const loss = (y: tf.Tensor) => tf.sum(tf.mul(y, tf.range(0, 24).reshape([6, 4])));
      const step = () =>
        tf.variableGrads(() => loss(model.apply(x) as tf.Tensor) as tf.Scalar, [kernel!, bias!]);
      // A first step runs the one-time probes (a ReluGrad on one element per format, when the
      // layer's rounded tensors are held in 16 bits); the second is counted.
      const first = step();
      tf.dispose([first.value, ...Object.values(first.grads)]);
      const [ours, ops] = opsOf(step);
      // The emulation spelled out with public ops: rounded input, weights and output, each
      // cast point rounding its gradient, float32 arithmetic in between.
      const want = tf.grads((w: tf.Tensor, b: tf.Tensor) =>
        loss(
          quantize(
            tf.fused.matMul({
              a: quantize(x, format) as tf.Tensor2D,
              b: quantize(w, format) as tf.Tensor2D,
              bias: quantize(b, format),
              activation: 'relu',
            }),
            format,
          ),
        ),
      )([kernel!, bias!]);
      expectBitsEqual(
        ours.grads[kernel!.name]!.dataSync() as Float32Array,
        want[0]!.dataSync() as Float32Array,
        'dW',
      );
      expectBitsEqual(
        ours.grads[bias!.name]!.dataSync() as Float32Array,
        want[1]!.dataSync() as Float32Array,
        'db',
      );
      // Relu's gradient is one ReluGrad (tfjs's Step would add IsNan and two SelectV2), and the
      // only products are the forward one and dW (none for the input data's gradient).
      expect(ops.filter((op) => op === 'ReluGrad')).toHaveLength(1);
      expect(ops.filter((op) => op === 'IsNan' || op === 'SelectV2')).toEqual([]);
      expect(ops.filter((op) => op === 'BatchMatMulV2')).toHaveLength(2);
      tf.dispose([x, ours.value, ...Object.values(ours.grads), ...want]);
      model.dispose();
    });
  }
});
