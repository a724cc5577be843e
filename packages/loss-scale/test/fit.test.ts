import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it, vi} from 'vitest';
import {FLOAT32_MAX, type LossScaleEvent, LossScaleOptimizer} from '../src/index.js';
import {expectSameWeights, makeData, makeMlp, modelWeights} from './support.js';

const FIT = {epochs: 2, batchSize: 8, shuffle: false, verbose: 0} as const;

describe('LossScaleOptimizer with model.fit', () => {
  describeBackends(['cpu', 'wasm'], () => {
    for (const [name, make] of [
      ['adam', () => tf.train.adam(0.01)],
      ['rmsprop', () => tf.train.rmsprop(0.01)],
      ['momentum', () => tf.train.momentum(0.05, 0.9)],
    ] as const) {
      it(`fits a float32 model bit-for-bit like ${name} alone when nothing overflows`, async () => {
        const {x, y} = makeData();
        const plain = makeMlp();
        const wrapped = makeMlp();
        expectSameWeights(wrapped, plain);
        plain.compile({optimizer: make(), loss: 'meanSquaredError'});
        const opt = new LossScaleOptimizer(make());
        wrapped.compile({optimizer: opt, loss: 'meanSquaredError'});
        const hPlain = await plain.fit(x, y, FIT);
        const hWrapped = await wrapped.fit(x, y, FIT);
        expect(hWrapped.history.loss).toEqual(hPlain.history.loss);
        expectSameWeights(wrapped, plain);
        expect(opt.skippedSteps).toBe(0);
        expect(opt.iterations).toBe(8);
        plain.dispose();
        wrapped.dispose();
        tf.dispose([x, y]);
      });
    }

    it('leaks no tensor in fit, fitDataset or trainOnBatch', async () => {
      const {x, y} = makeData();
      const model = makeMlp();
      const opt = new LossScaleOptimizer(tf.train.adam(0.01), {growthInterval: 3});
      model.compile({optimizer: opt, loss: 'meanSquaredError', metrics: ['mae']});
      await model.fit(x, y, {...FIT, epochs: 1}); // creates the Adam slots
      const dataset = tf.data
        .zip({
          xs: tf.data.array(x.arraySync() as number[][]),
          ys: tf.data.array(y.arraySync() as number[][]),
        })
        .batch(8);
      await expectNoLeaks(async () => {
        await model.fit(x, y, FIT);
        await model.fitDataset(dataset, {epochs: 2, verbose: 0});
        await model.trainOnBatch(x, y);
      });
      expect(opt.iterations).toBe(4 + 8 + 8 + 1);
      expect(opt.lossScale).toBe(2 ** 15 * 2 ** 7); // 21 clean steps, growth every 3
      model.dispose();
      tf.dispose([x, y]);
    });

    it('skips overflowing steps inside fit and logs the unscaled loss', async () => {
      vi.spyOn(console, 'warn').mockImplementation(() => {});
      const data = makeData();
      const x = data.x;
      const y = tf.mul(data.y, 1e4);
      data.y.dispose();
      const model = makeMlp();
      // 2^127 * a loss near 1e8 overflows float32: the first steps must be skipped, until the
      // scale has backed off far enough (by 1e-4 per overflow).
      const opt = new LossScaleOptimizer(tf.train.adam(0.01), {
        initialScale: 2 ** 127,
        maxScale: FLOAT32_MAX,
        backoffFactor: 1e-4,
      });
      const events: LossScaleEvent[] = [];
      opt.onUpdate((e) => events.push(e));
      model.compile({optimizer: opt, loss: 'meanSquaredError'});
      const initial = modelWeights(model);
      const firstBatchLoss = tf.tidy(
        () =>
          (
            model.evaluate(x.slice(0, 8), y.slice(0, 8), {batchSize: 8}) as tf.Scalar
          ).dataSync()[0]!,
      );
      const batchLosses: number[] = [];
      await model.fit(x, y, {
        ...FIT,
        epochs: 3,
        callbacks: {onBatchEnd: async (_b, logs) => void batchLosses.push(logs!.loss as number)},
      });
      const skipped = events.filter((e) => e.skipped).length;
      expect(skipped).toBeGreaterThan(0);
      expect(events[0]!.skipped).toBe(true);
      expect(events.at(-1)!.skipped).toBe(false);
      expect(opt.innerOptimizer.iterations).toBe(12 - skipped);
      // The logged loss is the plain loss: finite, and on the first batch what evaluate() gives.
      expect(batchLosses.every(Number.isFinite)).toBe(true);
      expect(batchLosses[0]).toBeCloseTo(firstBatchLoss, 5);
      expect(modelWeights(model)).not.toEqual(initial);
      model.dispose();
      tf.dispose([x, y]);
      vi.restoreAllMocks();
    });
  });
});
