import * as tf from '@tensorflow/tfjs';
import {expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {readLogValue} from './log-value.js';

describe('readLogValue', () => {
  it('reads numbers and Scalars alike, and disposes nothing', async () => {
    await expectNoLeaks(async () => {
      const loss = tf.scalar(0.25);
      const logs = {loss, acc: 0.5};
      expect(await readLogValue(logs, 'loss')).toBe(0.25);
      expect(await readLogValue(logs, 'loss')).toBe(0.25);
      expect(await readLogValue(logs, 'acc')).toBe(0.5);
      expect(await readLogValue(logs, 'missing')).toBeUndefined();
      expect(await readLogValue(undefined, 'loss')).toBeUndefined();
      expect(loss.isDisposed).toBe(false);
      loss.dispose();
    });
  });

  it('returns undefined for a tensor disposed before it was read', async () => {
    const t = tf.scalar(3);
    t.dispose();
    expect(await readLogValue({loss: t}, 'loss')).toBeUndefined();
  });
});
