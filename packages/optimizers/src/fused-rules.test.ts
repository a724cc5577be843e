import * as tf from '@tensorflow/tfjs';
import {describe, expect, it} from 'vitest';
import {FUSED_OPTIMIZER_NAMES, FUSED_RULES, fusedRuleFor} from './fused-rules.js';

describe('FUSED_RULES', () => {
  it('is frozen and sorted, keyed by the tfjs class names', () => {
    expect(Object.isFrozen(FUSED_RULES)).toBe(true);
    expect(FUSED_OPTIMIZER_NAMES).toEqual([...FUSED_OPTIMIZER_NAMES].sort());
    for (const [name, rule] of Object.entries(FUSED_RULES)) expect(rule.className).toBe(name);
    expect(rule(tf.train.adam(1e-3))).toBe('Adam');
    expect(rule(tf.train.momentum(0.1, 0.9))).toBe('Momentum');
    expect(rule(tf.train.adagrad(0.1))).toBeNull();
    expect(rule(tf.train.adadelta())).toBeNull();
  });

  it("Adam's eps' = eps·sqrt(1 - b2^t) turns TensorFlow's formula into tfjs's (float64)", () => {
    const adam = FUSED_RULES.Adam!;
    const opt = {learningRate: 0.003, beta1: 0.9, beta2: 0.999, epsilon: 1e-7};
    for (const [m, v, t] of [
      [0.2, 1e-4, 1],
      [-3e-6, 1e-12, 7],
      [1, 4, 100],
    ] as const) {
      const p1 = 0.9 ** t;
      const p2 = 0.999 ** t;
      const inputs = adam.inputs(opt, [p1, p2]);
      const [, , lr, , , eps] = inputs.map((x) => (x === 'grad' ? Number.NaN : x.scalar));
      const tfStep = ((lr! * Math.sqrt(1 - p2)) / (1 - p1)) * (m / (Math.sqrt(v) + eps!));
      const tfjsStep = (lr! * (m / (1 - p1))) / (Math.sqrt(v / (1 - p2)) + opt.epsilon);
      expect(tfStep).toBeCloseTo(tfjsStep, 15);
      expect(Math.abs(tfStep - tfjsStep)).toBeLessThanOrEqual(1e-14 * Math.abs(tfjsStep));
    }
  });

  it('advances the bias-correction powers in float32, as tfjs multiplies its accBeta variables', () => {
    const opt = {beta1: 0.9, beta2: 0.999};
    let step = [Math.fround(0.9), Math.fround(0.999)];
    for (let t = 0; t < 3; t++) step = FUSED_RULES.Adam!.advance(opt, step);
    const f = Math.fround;
    expect(step[0]).toBe(f(f(f(f(0.9) * f(0.9)) * f(0.9)) * f(0.9)));
  });

  it('refuses centered RMSProp, whose tfjs formula differs from TensorFlow’s', () => {
    expect(FUSED_RULES.RMSProp!.unsupported({centered: true})).toMatch(/centered/);
    expect(FUSED_RULES.RMSProp!.unsupported({centered: false})).toBeNull();
  });
});

function rule(opt: tf.Optimizer): string | null {
  return fusedRuleFor(opt)?.className ?? null;
}
