import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {clipByValue, normClipFactor, sumOfSquares} from './clipping.js';

describe('clipping', () => {
  describeBackends(['cpu', 'wasm'], () => {
    it('sums squares', async () => {
      await expectNoLeaks(() => {
        tf.tidy(() =>
          expectBitsEqual(
            sumOfSquares(
              tf.tensor2d([
                [3, 4],
                [1, 2],
              ]),
            ).dataSync(),
            [30],
          ),
        );
      });
    });

    it('gives a norm factor of exactly 1 within the limit and limit / norm above it', async () => {
      await expectNoLeaks(() => {
        tf.tidy(() => {
          expectBitsEqual(normClipFactor(tf.scalar(4), 2).dataSync(), [1]); // norm 2 = limit
          expectBitsEqual(normClipFactor(tf.scalar(0), 2).dataSync(), [1]); // zero gradient
          expectBitsEqual(normClipFactor(tf.scalar(64), 2).dataSync(), [0.25]); // norm 8
          expect(Number.isNaN(normClipFactor(tf.scalar(Number.NaN), 2).dataSync()[0])).toBe(true);
        });
      });
    });

    // What clipping does to NaN differs by backend (wasm returns -clipValue), which is why the
    // overflow check runs before any clipping.
    it('clips by value symmetrically', async () => {
      await expectNoLeaks(() => {
        tf.tidy(() => {
          const x = tf.tensor1d([-5, -1, 0.5, 5, Number.NEGATIVE_INFINITY, -0]);
          expectBitsEqual(clipByValue(x, 2).dataSync(), [-2, -1, 0.5, 2, -2, -0]);
        });
      });
    });
  });
});
