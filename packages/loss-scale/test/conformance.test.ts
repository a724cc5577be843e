// Replays the PyTorch / Keras 3 / DeepSpeed trajectories through LossScaleOptimizer itself: the
// loss sum(quantize(v, 'float16') * g) has the gradient float16(float32(g) * scale) with respect
// to v when scaled, exactly what each library was given at that step.
import * as tf from '@tensorflow/tfjs';
import type {Scalar} from '@tensorflow/tfjs';
import {quantize} from '@tfjs-amp/kernels';
import {describeBackends, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {LossScaleOptimizer} from '../src/index.js';
import {gradNumber, TRAJECTORIES} from './trajectories.js';

describe('LossScaleOptimizer scale trajectories', () => {
  describeBackends(['cpu', 'wasm'], () => {
    for (const mode of ['sync', 'device'] as const)
      for (const t of TRAJECTORIES) {
        it(`matches ${t.name} (${t.library}) step for step in '${mode}' mode`, async () => {
          const v = tf.variable(
            tf.ones([t.grads[0]!.length]),
            true,
            `conformance/${t.name}/${mode}`,
          );
          const opt = new LossScaleOptimizer(tf.train.sgd(0), {...t.options, mode});
          expect(opt.stepMode).toBe(mode);
          await expectNoLeaks(() => {
            t.steps.forEach((step, i) => {
              expect(opt.lossScale, `${t.name} step ${i}: scale`).toBe(step.scale);
              const g = tf.tensor1d(t.grads[i]!.map(gradNumber));
              opt.minimize(() => tf.sum(tf.mul(quantize(v, 'float16'), g)) as Scalar);
              g.dispose();
              expect(opt.lastStepSkipped, `${t.name} step ${i}: skipped`).toBe(step.skipped);
              if (step.goodSteps !== undefined) {
                expect(opt.goodSteps, `${t.name} step ${i}: goodSteps`).toBe(step.goodSteps);
              }
              if (step.hysteresisLeft !== undefined) {
                expect(opt.hysteresisLeft, `${t.name} step ${i}: hysteresis`).toBe(
                  step.hysteresisLeft,
                );
              }
            });
          });
          expect(opt.lossScale).toBe(t.finalScale);
          expect(opt.skippedSteps).toBe(t.steps.filter((s) => s.skipped).length);
          expect(opt.innerOptimizer.iterations).toBe(t.steps.length - opt.skippedSteps);
          opt.dispose();
          v.dispose();
        });
      }
  });
});
