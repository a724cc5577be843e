import * as tf from '@tensorflow/tfjs';
import {LossScaleOptimizer} from '@tfjs-amp/loss-scale';
import {applyPolicy} from '@tfjs-amp/policy';
import {describeBackends, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {ampProgress} from '../src/amp-progress.js';
import {lossScaleMonitor} from '../src/loss-scale-monitor.js';
import {gradientOverflowModel} from './models.js';

/** A stream that records what is written. */
function recorder(isTTY?: boolean, columns?: number) {
  const chunks: string[] = [];
  return {chunks, stream: {isTTY, columns, write: (c: string) => void chunks.push(c)}};
}

/** A clock that advances `stepMs` on every read. */
function clock(stepMs: number) {
  let t = 0;
  return () => {
    const now = t;
    t += stepMs;
    return now;
  };
}

/**
 * gradientOverflowModel under mixed_float16 with SGD(0): weights never change, so every batch of
 * all-ones rows has out = 1.6e4 and loss 1.6e4² = 2.56e8 exactly; every step overflows, so the
 * scale goes 8, 4, 2, 1 and every step is skipped.
 */
function skippingModel() {
  const model = gradientOverflowModel();
  applyPolicy(model, 'mixed_float16');
  model.compile({
    optimizer: new LossScaleOptimizer(tf.train.sgd(0), {initialScale: 8}),
    loss: 'meanSquaredError',
  });
  return model;
}

describeBackends(['wasm', 'cpu'], () => {
  describe('ampProgress without a TTY', () => {
    it('prints one plain line per epoch with loss, loss scale and skipped steps', async () => {
      const model = skippingModel();
      const {chunks, stream} = recorder();
      await expectNoLeaks(async () => {
        const x = tf.ones([12, 4]);
        const y = tf.zeros([12, 1]);
        // The clock advances 250 ms per read: 2 reads per epoch (begin, end) → "0.3s".
        await model.fit(x, y, {
          epochs: 2,
          batchSize: 4,
          callbacks: [lossScaleMonitor({log: null}), ampProgress({stream, now: clock(250)})],
        });
        tf.dispose([x, y]);
      });
      expect(chunks).toEqual([
        'Epoch 1/2 3 batches · 0.3s · loss 2.560e+8 · loss scale 1 · skipped 3\n',
        'Epoch 2/2 3 batches · 0.3s · loss 2.560e+8 · loss scale 1 · skipped 3 (6 in all)\n',
      ]);
      model.dispose();
    });

    it('adds a line every lineEvery batches in fitDataset, with extra epoch metrics', async () => {
      const model = skippingModel();
      model.compile({
        optimizer: new LossScaleOptimizer(tf.train.sgd(0), {initialScale: 8}),
        loss: 'meanSquaredError',
        metrics: ['mae'],
      });
      const {chunks, stream} = recorder(false);
      await expectNoLeaks(async () => {
        // 20 rows in batches of 4: 5 batches per epoch (fitDataset takes the count from ds.size).
        const ds = tf.data
          .zip({
            xs: tf.data.array(Array(20).fill([1, 1, 1, 1])),
            ys: tf.data.array(Array(20).fill([0])),
          })
          .batch(4);
        await model.fitDataset(ds, {
          epochs: 1,
          callbacks: [ampProgress({stream, lineEvery: 2, now: clock(0)})],
        });
      });
      // Scales: 8, 4, 2, 1, 1; every step skipped. mae = |1.6e4 - 0| = 16000.
      expect(chunks).toEqual([
        'Epoch 1/1 batch 2/5 · 0.0s · loss 2.560e+8 · loss scale 2 · skipped 2\n',
        'Epoch 1/1 batch 4/5 · 0.0s · loss 2.560e+8 · loss scale 1 · skipped 4\n',
        'Epoch 1/1 5 batches · 0.0s · loss 2.560e+8 · loss scale 1 · skipped 5 · mae 16000\n',
      ]);
      model.dispose();
    });
  });

  describe('ampProgress on a TTY', () => {
    it('redraws one bar in place, at most every redrawMs, then ends the epoch line', async () => {
      const model = skippingModel();
      const {chunks, stream} = recorder(true, 120);
      await expectNoLeaks(async () => {
        const x = tf.ones([16, 4]);
        const y = tf.zeros([16, 1]);
        // Clock reads: epoch begin 0, batch ends 40, 80, 120, 160, epoch end 200. With
        // redrawMs 60: batch 1 draws (first), batch 2 (40 ms later) does not, batch 3 (80 ms after
        // the draw at 40) draws, batch 4 draws (the last batch always does).
        await model.fit(x, y, {
          epochs: 1,
          batchSize: 4,
          callbacks: [ampProgress({stream, barWidth: 8, redrawMs: 60, now: clock(40)})],
        });
        tf.dispose([x, y]);
      });
      const line = (bar: string, done: number, s: string, scale: number, skipped: number) =>
        `\rEpoch 1/1 [${bar}] ${done}/4 · ${s}s · loss 2.560e+8 · loss scale ${scale} · skipped ${skipped}\x1b[K`;
      expect(chunks).toEqual([
        line('==>.....', 1, '0.0', 4, 1),
        line('======>.', 3, '0.1', 1, 3),
        line('========', 4, '0.2', 1, 4),
        '\rEpoch 1/1 4 batches · 0.2s · loss 2.560e+8 · loss scale 1 · skipped 4\x1b[K',
        '\n',
      ]);
      model.dispose();
    });

    it('cuts the line to the terminal width', async () => {
      const model = skippingModel();
      const {chunks, stream} = recorder(true, 30);
      await expectNoLeaks(async () => {
        const x = tf.ones([4, 4]);
        const y = tf.zeros([4, 1]);
        await model.fit(x, y, {
          epochs: 1,
          batchSize: 4,
          callbacks: [ampProgress({stream, now: clock(0)})],
        });
        tf.dispose([x, y]);
      });
      for (const c of chunks.filter((c) => c !== '\n')) {
        expect(c.replace('\r', '').replace('\x1b[K', '')).toHaveLength(29);
      }
      model.dispose();
    });
  });
});

describe('ampProgress options', () => {
  it('takes the mode from stream.isTTY and rejects bad options', () => {
    expect(() => ampProgress({stream: {} as never})).toThrow(
      'ampProgress: stream must be a writable stream (an object with write()); got object.',
    );
    expect(() => ampProgress({barWidth: -1})).toThrow(
      'ampProgress: barWidth must be an integer ≥ 0; got -1.',
    );
    expect(() => ampProgress({redrawMs: Number.NaN})).toThrow(
      'ampProgress: redrawMs must be a finite number ≥ 0; got NaN.',
    );
  });
});
