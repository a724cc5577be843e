// roundOptimizerState: tfjs built-ins with their slots stored rounded to 16 bits.
import '@tfjs-amp/kernels'; // the AmpQuantize kernel that 16-bit storage uses
import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {adamw, roundOptimizerState} from '../src/index.js';

const bits = (t: tf.Tensor) => new Uint32Array((t.dataSync() as Float32Array).slice().buffer);

function steps(optimizer: tf.Optimizer, n: number): tf.Variable {
  const v = tf.tidy(() => tf.variable(tf.linspace(-1, 1, 64)));
  for (let t = 0; t < n; t++) {
    const g = tf.tidy(() => tf.mul(tf.cos(tf.add(tf.linspace(0, 5, 64), t)), 0.01));
    optimizer.applyGradients([{name: v.name, tensor: g}]);
    g.dispose();
  }
  return v;
}

describeBackends(['cpu', 'wasm'], () => {
  describe('roundOptimizerState', () => {
    it.each([
      ['adam', () => tf.train.adam(0.01)],
      ['rmsprop (centered)', () => tf.train.rmsprop(0.01, 0.9, 0.5, 1e-7, true)],
      ['adagrad', () => tf.train.adagrad(0.1)],
      ['adadelta', () => tf.train.adadelta(1)],
      ['momentum', () => tf.train.momentum(0.01, 0.9)],
    ] as const)('stores every slot of %s as bfloat16 values, without leaks', async (_n, make) => {
      const opt = roundOptimizerState(make());
      const v = steps(opt, 1); // slots created
      await expectNoLeaks(() => {
        const g = tf.onesLike(v);
        opt.applyGradients([{name: v.name, tensor: g}]);
        g.dispose();
      });
      expect(opt.iterations).toBe(2);
      const weights = await opt.getWeights();
      const slots = weights.filter((w) => w.name !== 'iter');
      expect(slots.length).toBeGreaterThan(0);
      for (const w of slots) expect(bits(w.tensor).every((b) => (b & 0xffff) === 0)).toBe(true);
      tf.dispose(weights.filter((w) => w.name === 'iter').map((w) => w.tensor));
      v.dispose();
      opt.dispose();
    });

    it('matches AdamW with bfloat16 state step for step (same rounding of the same moments)', async () => {
      // tf.train.adam's formula is AdamW's 'torch' convention without decay; the weights agree to
      // float32 rounding (tfjs keeps β powers as running products), the slots bit for bit after
      // one step (both round 0.1·g and 0.001·g² to nearest bfloat16).
      const a = roundOptimizerState(tf.train.adam(0.01, 0.9, 0.999, 1e-7));
      const b = adamw({
        learningRate: 0.01,
        weightDecay: 0,
        convention: 'torch',
        stateFormat: 'bfloat16',
      });
      const va = steps(a, 1);
      const vb = steps(b, 1);
      const [wa, wb] = [await a.getWeights(), await b.getWeights()];
      for (let i = 1; i < wa.length; i++) expectBitsEqual(bits(wa[i]!.tensor), bits(wb[i]!.tensor));
      tf.dispose([wa[0]!.tensor, wb[0]!.tensor, va, vb]);
      a.dispose();
      b.dispose();
    });

    it('keeps the wrapped class for saving, and rejects what it cannot round', () => {
      const opt = roundOptimizerState(tf.train.adam());
      expect(opt.getClassName()).toBe('Adam');
      expect(() => roundOptimizerState(tf.train.sgd(0.1))).toThrow(
        /roundOptimizerState: unknown optimizer class 'SGD'. Allowed: Adadelta, Adagrad, Adam, Adamax, Momentum, RMSProp./,
      );
      expect(() => roundOptimizerState(adamw())).toThrow(
        /AdamW and Nadam have their own stateFormat/,
      );
      expect(() => roundOptimizerState({} as tf.Optimizer)).toThrow(TypeError);
      expect(() =>
        roundOptimizerState(tf.train.adam(), {stateFormat: 'int4' as 'bfloat16'}),
      ).toThrow(TypeError);
      opt.dispose();
    });
  });
});
