// An activation('relu') layer under a mixed policy on tfjs-node runs @tfjs-amp/kernels' relu: the
// same values and gradients as tfjs's own relu, with the gradient as one TF ReluGrad (in the
// format on 16-bit operands) instead of tfjs's float32 dy · step(x).
import * as tf from '@tensorflow/tfjs';
import {type NativeDispatch, setNativeDispatch} from '@tfjs-amp/kernels';
import {NativeOpSpy, describeBackends, expectBitsEqual} from '@tfjs-amp/test-utils';
import {expect, it} from 'vitest';
import {applyPolicy} from '../src/index.js';

/** Dense 12-16, relu as `relu` (an Activation layer) or `ReLU` (a ReLU layer), Dense 16-3. */
function model(reluAs: 'activation' | 'layer'): tf.LayersModel {
  const init = (seed: number) => tf.initializers.randomNormal({seed});
  return tf.sequential({
    layers: [
      tf.layers.dense({inputShape: [12], units: 16, kernelInitializer: init(1)}),
      reluAs === 'activation' ? tf.layers.activation({activation: 'relu'}) : tf.layers.reLU(),
      tf.layers.dense({units: 3, kernelInitializer: init(2)}),
    ],
  });
}

describeBackends(['tensorflow'], () => {
  it.each(['none', 'all'] as NativeDispatch[])(
    'mixed_bfloat16 (dispatch %s): the gradients of tfjs relu, relu as one ReluGrad',
    (mode) => {
      const previous = setNativeDispatch(mode);
      const x = tf.randomNormal([8, 12], 0, 1, 'float32', 3);
      try {
        const grads = (m: tf.LayersModel) => {
          applyPolicy(m, 'mixed_bfloat16');
          const weights = m.trainableWeights.map((w) => w.read() as tf.Variable);
          const loss = () => tf.sum(tf.square(m.apply(x) as tf.Tensor)) as tf.Scalar;
          tf.dispose(tf.variableGrads(loss, weights).grads); // probes before the spy
          const spy = new NativeOpSpy();
          try {
            const {value, grads: g} = tf.variableGrads(loss, weights);
            value.dispose();
            return {grads: weights.map((w) => g[w.name]!), ops: spy.ops};
          } finally {
            spy.restore();
            m.dispose();
          }
        };
        const ours = grads(model('activation'));
        const theirs = grads(model('layer'));
        expect(ours.ops.filter((op) => op === 'ReluGrad')).toHaveLength(1);
        expect(ours.ops).not.toContain('Step');
        expect(theirs.ops.filter((op) => op === 'ReluGrad')).toHaveLength(0);
        ours.grads.forEach((g, i) => {
          expectBitsEqual(
            g.dataSync() as Float32Array,
            theirs.grads[i]!.dataSync() as Float32Array,
            `weight ${i} (${mode})`,
          );
        });
        tf.dispose([...ours.grads, ...theirs.grads]);
      } finally {
        x.dispose();
        setNativeDispatch(previous);
      }
    },
  );
});
