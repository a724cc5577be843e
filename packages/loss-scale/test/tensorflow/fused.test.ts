// LossScaleOptimizer on tfjs-node: applied steps run fused (one TF training op per variable) by
// default, skipped steps leave everything untouched, `fused: false` keeps tfjs's own update.
import * as tf from '@tensorflow/tfjs';
import {fuseOptimizer} from '@tfjs-amp/optimizers';
import {describeBackends, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it, vi} from 'vitest';
import {LossScaleOptimizer, STATE_WEIGHT_PREFIX} from '../../src/index.js';
import {expectSameSnapshot, makeData, makeMlp, makeProblem, snapshot} from '../support.js';

type Snapshot = Awaited<ReturnType<typeof snapshot>>;

/** The snapshot without the scale state's weights, to compare with a bare optimizer's. */
function innerPart(s: Snapshot): Snapshot {
  const keep = s.weights.names.map((n) => !n.startsWith(STATE_WEIGHT_PREFIX));
  return {
    ...s,
    weights: {
      names: s.weights.names.filter((_, i) => keep[i]),
      values: s.weights.values.filter((_, i) => keep[i]),
    },
  };
}

describe('LossScaleOptimizer on tfjs-node', () => {
  describeBackends(['tensorflow'], () => {
    it('applies steps fused by default, bit-identical to fuseOptimizer alone when nothing overflows', async () => {
      const plain = makeProblem();
      const scaled = makeProblem();
      const fused = fuseOptimizer(tf.train.adam(0.01));
      const opt = new LossScaleOptimizer(tf.train.adam(0.01));
      for (let i = 0; i < 5; i++) {
        fused.minimize(plain.loss, false, plain.vars);
        opt.minimize(scaled.loss, false, scaled.vars);
      }
      expect(opt.isFused).toBe(true);
      // Scaling by 2^15 and dividing it out again is exact: the same gradients reach the update.
      expectSameSnapshot(
        innerPart(await snapshot(scaled.vars, opt)),
        await snapshot(plain.vars, fused),
      );
      opt.dispose();
      fused.dispose();
      plain.dispose();
      scaled.dispose();
    });

    it('keeps variables, slots and iterations bit-identical on a skipped step', async () => {
      vi.spyOn(console, 'warn').mockImplementation(() => {});
      const p = makeProblem();
      const opt = new LossScaleOptimizer(tf.train.adam(0.01));
      opt.minimize(p.loss, false, p.vars);
      const before = innerPart(await snapshot(p.vars, opt));
      tf.tidy(() => p.badLoss()); // gives the Inf input its native handle before the leak check
      await expectNoLeaks(() => {
        opt.minimize(p.badLoss, false, p.vars);
      });
      expect(opt.lastStepSkipped).toBe(true);
      expectSameSnapshot(innerPart(await snapshot(p.vars, opt)), before);
      opt.minimize(p.loss, false, p.vars);
      expect(opt.innerOptimizer.iterations).toBe(2);
      opt.dispose();
      p.dispose();
    });

    it('with fused: false runs the inner optimizer itself, bit for bit', async () => {
      const plain = makeProblem();
      const scaled = makeProblem();
      const adam = tf.train.adam(0.01);
      const opt = new LossScaleOptimizer(tf.train.adam(0.01), {fused: false});
      for (let i = 0; i < 3; i++) {
        adam.minimize(plain.loss, false, plain.vars);
        opt.minimize(scaled.loss, false, scaled.vars);
      }
      expect(opt.isFused).toBe(false);
      expectSameSnapshot(
        innerPart(await snapshot(scaled.vars, opt)),
        await snapshot(plain.vars, adam),
      );
      opt.dispose();
      adam.dispose();
      plain.dispose();
      scaled.dispose();
    });

    it('leaks no tensor or native handle in fit, and dispose() frees the TF variables', async () => {
      const {x, y} = makeData();
      const model = makeMlp();
      const opt = new LossScaleOptimizer(tf.train.adam(0.01));
      model.compile({optimizer: opt, loss: 'meanSquaredError'});
      await model.fit(x, y, {epochs: 1, batchSize: 8, verbose: 0});
      await expectNoLeaks(async () => {
        await model.fit(x, y, {epochs: 2, batchSize: 8, verbose: 0});
        await model.trainOnBatch(x, y);
      });
      expect(opt.isFused).toBe(true);
      const handles = () =>
        (tf.backend() as unknown as {getNumOfTFTensors(): number}).getNumOfTFTensors();
      const before = handles();
      opt.dispose();
      // Master copy, m and v of each of the model's 4 variables.
      expect(before - handles()).toBe(3 * model.trainableWeights.length);
      model.dispose();
      tf.dispose([x, y]);
    });
  });
});
