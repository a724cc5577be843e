import * as tf from '@tensorflow/tfjs';
import {expectNoLeaks, useBackend} from '@tfjs-amp/test-utils';
import {beforeAll, describe, expect, it} from 'vitest';
import {combineCallbacks} from './combine-callbacks.js';
import {terminateOnNaN} from './terminate-on-nan.js';

describe('combineCallbacks', () => {
  beforeAll(() => useBackend('wasm'));

  it('wraps plain objects in tf.CustomCallback and keeps callback instances as they are', () => {
    const amp = terminateOnNaN();
    const early = tf.callbacks.earlyStopping({monitor: 'loss'});
    const plain = {onEpochEnd: async () => {}};
    const custom = new tf.CustomCallback({onBatchEnd: async () => {}});
    const out = combineCallbacks([plain, amp, early, custom]);
    expect(out[0]).toBeInstanceOf(tf.CustomCallback);
    expect(out[1]).toBe(amp);
    expect(out[2]).toBe(early);
    expect(out[3]).toBe(custom);
  });

  it('rejects entries that are neither callbacks nor objects', () => {
    expect(() => combineCallbacks([terminateOnNaN(), 3 as never])).toThrow(
      'combineCallbacks: callbacks[1] must be a tf.Callback or an object; got 3.',
    );
    expect(() => combineCallbacks('x' as never)).toThrow(
      "combineCallbacks: callbacks must be an array; got 'x'.",
    );
  });

  it('runs plain objects, tfjs callbacks and ours in every order, each exactly once per event', async () => {
    const model = tf.sequential({layers: [tf.layers.dense({units: 1, inputShape: [2]})]});
    model.compile({optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError'});
    await expectNoLeaks(async () => {
      const x = tf.ones([6, 2]);
      const y = tf.ones([6, 1]);
      for (const order of [
        ['plain', 'amp', 'tfjs'],
        ['amp', 'plain', 'tfjs'],
        ['tfjs', 'amp', 'plain'],
      ]) {
        const calls: string[] = [];
        const amp = terminateOnNaN();
        const entries = {
          plain: {onBatchEnd: async () => void calls.push('plain')},
          amp,
          tfjs: tf.callbacks.earlyStopping({monitor: 'loss', patience: 5}),
        };
        await model.fit(x, y, {
          epochs: 1,
          batchSize: 2,
          callbacks: combineCallbacks(order.map((k) => entries[k as keyof typeof entries])),
        });
        expect(calls).toEqual(['plain', 'plain', 'plain']);
        expect(amp.stoppedAt).toBeNull();
      }
      tf.dispose([x, y]);
    });
    model.dispose();
  });

  it('explains the tfjs quirk when our callback is passed after a plain object without it', async () => {
    const model = tf.sequential({layers: [tf.layers.dense({units: 1, inputShape: [2]})]});
    model.compile({optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError'});
    await expectNoLeaks(async () => {
      const x = tf.ones([2, 2]);
      const y = tf.ones([2, 1]);
      await expect(
        model.fit(x, y, {
          epochs: 1,
          callbacks: [
            {onBatchEnd: async () => {}},
            terminateOnNaN(),
          ] as unknown as tf.CustomCallbackArgs[],
        }),
      ).rejects.toThrow(
        'tfjs-amp callback: onTrainBegin() was called on a CustomCallback, not on the callback. ' +
          'tf.LayersModel.fit wraps every entry of `callbacks` as a plain object when the first ' +
          'entry is a plain object. Pass combineCallbacks([...]) instead, or wrap each plain ' +
          'object in new tf.CustomCallback({...}).',
      );
      tf.dispose([x, y]);
    });
    model.dispose();
  });
});
