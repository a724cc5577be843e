import * as tf from '@tensorflow/tfjs';
import {expectNoLeaks, useBackend} from '@tfjs-amp/test-utils';
import {beforeAll, describe, expect, it} from 'vitest';
import {
  deserializeOptimizer,
  type PersistedScaleState,
  STATE_WEIGHT_NAMES,
  serializeOptimizer,
  splitStateWeights,
  stateToWeights,
} from './serialization.js';

const STATE: PersistedScaleState = {
  lossScale: Math.fround(24.3),
  goodSteps: 17,
  hysteresisLeft: 2,
  overflowCount: 3,
  skippedSteps: 41,
  iterations: 123456,
  lastStepSkipped: true,
};

describe('scale state weights', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('round-trips the state exactly, float32 scale and int32 counters', async () => {
    await expectNoLeaks(async () => {
      const weights = stateToWeights(STATE);
      expect(weights.map((w) => [w.name, w.tensor.dtype])).toEqual([
        [STATE_WEIGHT_NAMES.lossScale, 'float32'],
        [STATE_WEIGHT_NAMES.goodSteps, 'int32'],
        [STATE_WEIGHT_NAMES.hysteresisLeft, 'int32'],
        [STATE_WEIGHT_NAMES.overflowCount, 'int32'],
        [STATE_WEIGHT_NAMES.skippedSteps, 'int32'],
        [STATE_WEIGHT_NAMES.iterations, 'int32'],
        [STATE_WEIGHT_NAMES.lastStepSkipped, 'int32'],
      ]);
      const other = {name: 'iter', tensor: tf.scalar(5, 'int32')};
      const {state, inner} = await splitStateWeights([weights[3]!, other, ...weights]);
      expect(state).toEqual(STATE);
      expect(inner).toEqual([other]);
      tf.dispose([...weights.map((w) => w.tensor), other.tensor]);
    });
  });

  it('returns no state for weights saved without a LossScaleOptimizer', async () => {
    const iter = {name: 'iter', tensor: tf.scalar(1, 'int32')};
    expect(await splitStateWeights([iter])).toEqual({state: null, inner: [iter]});
    iter.tensor.dispose();
  });

  it('rejects impossible values, naming the weight', async () => {
    const cases: [Partial<PersistedScaleState>, string][] = [
      [{lossScale: 0}, 'LossScaleOptimizer/loss_scale must be a positive finite float32; got 0.'],
      [
        {lossScale: Number.POSITIVE_INFINITY},
        'loss_scale must be a positive finite float32; got Infinity.',
      ],
      [{goodSteps: -1}, 'LossScaleOptimizer/good_steps must be a non-negative integer; got -1.'],
      [{hysteresisLeft: 0}, 'LossScaleOptimizer/hysteresis_left must be at least 1; got 0.'],
    ];
    for (const [change, message] of cases) {
      const weights = stateToWeights({...STATE, ...change});
      await expect(splitStateWeights(weights)).rejects.toThrow(message);
      tf.dispose(weights.map((w) => w.tensor));
    }
    await expect(splitStateWeights(5 as never)).rejects.toThrow(
      'LossScaleOptimizer.setWeights: weightValues must be an array of {name, tensor}; got 5.',
    );
  });
});

describe('serializeOptimizer / deserializeOptimizer', () => {
  it('round-trips a built-in optimizer through the registry', () => {
    const adam = tf.train.adam(0.002, 0.8, 0.95, 1e-6);
    const back = deserializeOptimizer(JSON.parse(JSON.stringify(serializeOptimizer(adam))));
    expect(back).toBeInstanceOf(tf.AdamOptimizer);
    expect(back.getConfig()).toEqual(adam.getConfig());
    adam.dispose();
    back.dispose();
  });

  it('explains a malformed config', () => {
    expect(() => deserializeOptimizer(undefined)).toThrow(
      'LossScaleOptimizer.fromConfig: config.innerOptimizer must be an object {className, config}; got undefined.',
    );
    expect(() => deserializeOptimizer({className: 3})).toThrow(
      'LossScaleOptimizer.fromConfig: config.innerOptimizer.className must be a string; got 3.',
    );
  });
});
