import {describe, expect, it} from 'vitest';
import {overflowsInFloat16, TRAJECTORIES} from '../test/trajectories.js';
import {FLOAT32_MAX, resolveLossScaleOptions} from './options.js';
import {initialScaleState, nextScale, type ScaleState} from './scale-rule.js';

/** Runs the rule over a list of overflow flags; returns the scale each step used, and the end. */
function run(flags: boolean[], options: Parameters<typeof resolveLossScaleOptions>[0]) {
  const o = resolveLossScaleOptions(options);
  let s: ScaleState = initialScaleState(o);
  const used: number[] = [];
  const changes: string[] = [];
  for (const f of flags) {
    used.push(s.lossScale);
    const u = nextScale(s, f, o);
    changes.push(u.change);
    s = u;
  }
  return {used, changes, final: s};
}

describe('nextScale', () => {
  describe('matches the reference libraries on the fixture streams', () => {
    it('has trajectories from PyTorch, Keras 3 and DeepSpeed', () => {
      const libs = new Set(TRAJECTORIES.map((t) => t.library));
      expect([...libs].sort()).toEqual([
        'deepspeed DynamicLossScaler',
        'keras.optimizers.LossScaleOptimizer',
        "torch.amp.GradScaler('cpu')",
      ]);
    });

    for (const t of TRAJECTORIES) {
      it(`follows ${t.name} (${t.library}: ${t.note})`, () => {
        const options = resolveLossScaleOptions(t.options);
        let state = initialScaleState(options);
        t.steps.forEach((step, i) => {
          const where = `${t.name} step ${i}`;
          expect(state.lossScale, `${where}: scale`).toBe(step.scale);
          const overflowed = overflowsInFloat16(t.grads[i]!, state.lossScale);
          expect(overflowed, `${where}: skipped`).toBe(step.skipped);
          state = nextScale(state, overflowed, options);
          if (step.goodSteps !== undefined) {
            expect(state.goodSteps, `${where}: goodSteps`).toBe(step.goodSteps);
          }
          if (step.hysteresisLeft !== undefined) {
            expect(state.hysteresisLeft, `${where}: hysteresisLeft`).toBe(step.hysteresisLeft);
          }
        });
        expect(state.lossScale, `${t.name}: final scale`).toBe(t.finalScale);
      });
    }
  });

  it('halves the scale and restarts the count on overflow', () => {
    const o = resolveLossScaleOptions();
    expect(nextScale({lossScale: 1024, goodSteps: 5, hysteresisLeft: 1}, true, o)).toEqual({
      lossScale: 512,
      goodSteps: 0,
      hysteresisLeft: 1,
      change: 'backed-off',
    });
  });

  it('clamps at minScale and caps at maxScale', () => {
    // initialScale 4, floor 2, cap 16, growth every 2 clean steps:
    // 4 -T-> max(2, 2) = 2 -T-> max(1, 2) = 2 -T-> 2, then F F -> 4, F F -> 8, F F -> 16,
    // F F -> min(32, 16) = 16 (unchanged).
    const flags = [true, true, true, false, false, false, false, false, false, false, false];
    const r = run(flags, {initialScale: 4, minScale: 2, maxScale: 16, growthInterval: 2});
    expect(r.used).toEqual([4, 2, 2, 2, 2, 4, 4, 8, 8, 16, 16]);
    expect(r.final.lossScale).toBe(16);
    expect(r.changes).toEqual([
      'backed-off',
      'unchanged',
      'unchanged',
      'unchanged',
      'grew',
      'unchanged',
      'grew',
      'unchanged',
      'grew',
      'unchanged',
      'unchanged',
    ]);
  });

  it('tolerates hysteresis - 1 overflows and refills the hysteresis only when the scale grows', () => {
    // hysteresis 2, growth every 2 clean steps, from 8:
    // T: left 2 -> 1, scale 8 | F | F: grow to 16, left refilled to 2 | T: left 1, 16 |
    // T: back off to 8 | T: back off to 4.
    const r = run([true, false, false, true, true, true], {
      initialScale: 8,
      growthInterval: 2,
      hysteresis: 2,
    });
    expect(r.used).toEqual([8, 8, 8, 16, 16, 8]);
    expect(r.final.lossScale).toBe(4);
    // Clean steps without a growth do not refill it (DeepSpeed's consecutive_hysteresis=False):
    // T: left 1 | F | T: back off at once.
    const s = run([true, false, true], {initialScale: 8, growthInterval: 5, hysteresis: 2});
    expect(s.used).toEqual([8, 8, 8]);
    expect(s.final).toEqual({lossScale: 4, goodSteps: 0, hysteresisLeft: 1, change: 'backed-off'});
  });

  it('refuses a growth to Inf and keeps counting', () => {
    const o = resolveLossScaleOptions({
      initialScale: 2 ** 127,
      maxScale: FLOAT32_MAX,
      growthInterval: 1,
    });
    // float32(2^127 * 2) = Inf, so the scale stays (PyTorch's rule); the counter restarts.
    expect(nextScale(initialScaleState(o), false, o)).toEqual({
      lossScale: 2 ** 127,
      goodSteps: 0,
      hysteresisLeft: 1,
      change: 'unchanged',
    });
  });

  it('rounds each product to float32', () => {
    const o = resolveLossScaleOptions({initialScale: 81, growthFactor: 3, backoffFactor: 0.3});
    // 81 * 0.3 = 24.299999999999997 in double; float32 holds 24.299999237060547.
    expect(nextScale(initialScaleState(o), true, o).lossScale).toBe(Math.fround(24.3));
    expect(nextScale(initialScaleState(o), true, o).lossScale).toBe(24.299999237060547);
  });

  it('keeps a fixed scale but still counts clean steps', () => {
    const r = run([false, true, false, false], {dynamic: false, initialScale: 0.25});
    expect(r.used).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(r.final).toEqual({
      lossScale: 0.25,
      goodSteps: 2,
      hysteresisLeft: 1,
      change: 'unchanged',
    });
  });
});
