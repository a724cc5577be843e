import {describe, expect, it} from 'vitest';
import {checkPhase, isAllowed, type PhaseMethod, type StepPhase} from './step-phase.js';

const PHASES: StepPhase[] = ['ready', 'scaled', 'unscaled'];
const METHODS: PhaseMethod[] = [
  'applyGradients',
  'computeGradients',
  'minimize',
  'scaleLoss',
  'setWeights',
  'unscaleGradients',
];

describe('checkPhase', () => {
  it('allows exactly the documented transitions', () => {
    const allowed = METHODS.flatMap((m) =>
      PHASES.filter((p) => isAllowed(m, p)).map((p) => `${m}@${p}`),
    );
    expect(allowed).toEqual([
      'applyGradients@unscaled',
      'computeGradients@ready',
      'computeGradients@scaled',
      'minimize@ready',
      'scaleLoss@ready',
      'scaleLoss@scaled',
      'setWeights@ready',
      'unscaleGradients@scaled',
    ]);
  });

  it('names what happened and the next call', () => {
    expect(() => checkPhase('unscaleGradients', 'unscaled')).toThrow(
      "LossScaleOptimizer: unscaleGradients() already ran this step (phase 'unscaled'); " +
        'call applyGradients(unscaledGrads) next (or cancelStep() to drop this step).',
    );
    expect(() => checkPhase('applyGradients', 'scaled')).toThrow(
      "LossScaleOptimizer: applyGradients() is not allowed now: the loss is scaled but the gradients are not unscaled yet (phase 'scaled'); " +
        'call unscaleGradients(grads) next (or cancelStep() to drop this step).',
    );
    expect(() => checkPhase('applyGradients', 'ready')).toThrow(
      /no loss has been scaled this step \(phase 'ready'\); call scaleLoss\(loss\) inside the function passed to computeGradients\(\), then unscaleGradients\(grads\), then applyGradients\(unscaledGrads\); or use minimize\(f\)/,
    );
  });

  it('throws a plain Error (wrong call order)', () => {
    try {
      checkPhase('minimize', 'scaled');
      expect.fail('did not throw');
    } catch (err) {
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(TypeError);
      expect(err).not.toBeInstanceOf(RangeError);
    }
  });
});
