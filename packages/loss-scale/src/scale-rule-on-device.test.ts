import * as tf from '@tensorflow/tfjs';
import type {Scalar} from '@tensorflow/tfjs';
import {describeBackends} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {FLOAT32_MAX, resolveLossScaleOptions} from './options.js';
import {nextScale} from './scale-rule.js';
import {COUNTER_NAMES, type DeviceScaleState, nextScaleOnDevice} from './scale-rule-on-device.js';

/** A small deterministic generator (mulberry32), so failures replay. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('nextScaleOnDevice', () => {
  describeBackends(['cpu', 'wasm'], () => {
    it('equals nextScale on random states and float32 options, with and without overflow', () => {
      const rand = random(7);
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
      for (let k = 0; k < 150; k++) {
        const options = resolveLossScaleOptions({
          dynamic: rand() < 0.85,
          growthInterval: pick([1, 2, 3, 5]),
          growthFactor: pick([2, 4, 1.5, Math.fround(1.1), 3]),
          backoffFactor: pick([0.5, 0.25, 0.75, Math.fround(0.3)]),
          minScale: pick([1, 2 ** -10, 1.1754943508222875e-38, 256]),
          maxScale: pick([2 ** 24, FLOAT32_MAX, 2 ** 30]),
          hysteresis: pick([1, 2, 3]),
          initialScale: 256,
          mode: 'device',
        });
        const lossScale = pick([
          options.minScale,
          options.maxScale,
          Math.fround(1000 * rand() + 1),
          2 ** 127,
          Math.fround(3e38),
          256,
        ]);
        const state = {
          lossScale,
          goodSteps: Math.floor(rand() * options.growthInterval),
          hysteresisLeft: 1 + Math.floor(rand() * options.hysteresis),
        };
        for (const overflowed of [false, true]) {
          const expected = nextScale(state, overflowed, options);
          const got = tf.tidy(() => {
            const int = (v: number) => tf.scalar(v, 'int32');
            const device: DeviceScaleState = {
              lossScale: tf.scalar(state.lossScale),
              goodSteps: int(state.goodSteps),
              hysteresisLeft: int(state.hysteresisLeft),
              overflowCount: int(3),
              skippedSteps: int(10),
              lastStepSkipped: int(0),
              appliedSteps: int(20),
            };
            const next = nextScaleOnDevice(
              device,
              tf.scalar(!overflowed, 'bool') as Scalar,
              options,
            );
            return [next.lossScale, ...COUNTER_NAMES.map((n) => next[n])].map(
              (t) => t.dataSync()[0]!,
            );
          });
          const what = `case ${k} ${JSON.stringify({state, overflowed, options})}`;
          expect(got[0], what).toBe(expected.lossScale);
          expect(got.slice(1), what).toEqual([
            expected.goodSteps,
            expected.hysteresisLeft,
            overflowed ? 4 : 0,
            overflowed ? 11 : 10,
            overflowed ? 1 : 0,
            overflowed ? 20 : 21,
          ]);
        }
      }
    });
  });
});
