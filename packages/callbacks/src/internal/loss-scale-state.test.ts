import * as tf from '@tensorflow/tfjs';
import {LossScaleOptimizer} from '@tfjs-amp/loss-scale';
import {describe, expect, it} from 'vitest';
import {
  isLossScaleState,
  type LossScaleState,
  lossScaleStateOf,
  minScaleOf,
} from './loss-scale-state.js';

describe('lossScaleStateOf', () => {
  it('reads a LossScaleOptimizer by its fields, and nothing else', () => {
    const optimizer = new LossScaleOptimizer(tf.train.sgd(0.1), {minScale: 4, initialScale: 64});
    // Compile-time check: LossScaleOptimizer has every field the callbacks read.
    const state: LossScaleState = optimizer;
    expect(isLossScaleState(state)).toBe(true);
    expect(state.lossScale).toBe(64);
    expect(minScaleOf(state)).toBe(4);
    const model = tf.sequential({layers: [tf.layers.dense({units: 1, inputShape: [1]})]});
    model.compile({optimizer, loss: 'meanSquaredError'});
    expect(lossScaleStateOf(model)).toBe(optimizer);
    model.compile({optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError'});
    expect(lossScaleStateOf(model)).toBeNull();
    expect(lossScaleStateOf(null)).toBeNull();
    model.dispose();
  });

  it('defaults minScale to 1 when the optimizer does not say', () => {
    expect(minScaleOf({lossScale: 8, skippedSteps: 0, lastStepSkipped: false})).toBe(1);
  });
});
