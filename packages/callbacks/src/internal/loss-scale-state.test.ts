import * as tf from '@tensorflow/tfjs';
import {LossScaleOptimizer} from '@tfjs-amp/loss-scale';
import {describe, expect, it} from 'vitest';
import {
  isLossScaleState,
  type LossScaleState,
  lossScaleStateOf,
  minScaleOf,
  readLossScaleState,
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

  it('reads through readState() where the optimizer has it, without touching its getters', async () => {
    const touched: string[] = [];
    const getter = (name: string, value: unknown) => ({
      get: () => {
        touched.push(name);
        return value;
      },
      enumerable: true,
    });
    const read = {lossScale: 16, skippedSteps: 2, lastStepSkipped: true};
    const optimizer = Object.defineProperties(
      {readState: async () => read},
      {
        lossScale: getter('lossScale', 16),
        skippedSteps: getter('skippedSteps', 2),
        lastStepSkipped: getter('lastStepSkipped', true),
      },
    );
    expect(isLossScaleState(optimizer)).toBe(true);
    expect(await readLossScaleState(optimizer as unknown as LossScaleState)).toBe(read);
    expect(touched).toEqual([]);
  });

  it('reads an optimizer with getters only through its getters', async () => {
    const state: LossScaleState = {lossScale: 8, skippedSteps: 1, lastStepSkipped: false};
    expect(await readLossScaleState(state)).toBe(state);
  });
});
