import * as tf from '@tensorflow/tfjs';
import type {NamedTensorMap, Scalar} from '@tensorflow/tfjs';
import {describeBackends, expectBitsEqual, expectNoLeaks, useBackend} from '@tfjs-amp/test-utils';
import {afterEach, beforeAll, describe, expect, it, vi} from 'vitest';
import {
  expectSameSnapshot,
  makeProblem,
  OPTIMIZERS,
  snapshot,
  valuesOf,
  weightsOf,
} from '../test/support.js';
import type {LossScaleEvent} from './events.js';
import {LossScaleOptimizer} from './loss-scale-optimizer.js';
import {DEFAULT_LOSS_SCALE_OPTIONS} from './options.js';
import {STATE_WEIGHT_NAMES} from './serialization.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const MODES = ['sync', 'device'] as const;

describe('LossScaleOptimizer', () => {
  describeBackends(['cpu', 'wasm'], () => {
    for (const mode of MODES)
      for (const name of ['adam', 'rmsprop', 'momentum', 'adagrad', 'adadelta', 'sgd']) {
        it(`skips an overflowing step leaving variables, ${name} slots and iterations bit-identical ('${mode}')`, async () => {
          const p = makeProblem();
          const opt = new LossScaleOptimizer(OPTIMIZERS[name]!(), {initialScale: 2 ** 10, mode});
          tf.dispose([opt.minimize(p.loss, true)!, opt.minimize(p.loss, true)!]);
          const before = await snapshot(p.vars, opt);
          expect(before.weights.values.some((v) => v.some((x) => x !== 0))).toBe(true);
          await expectNoLeaks(() => {
            const cost = opt.minimize(p.badLoss, true)!;
            expect(cost.dataSync()[0]).toBe(Number.POSITIVE_INFINITY);
            cost.dispose();
          });
          const after = await snapshot(p.vars, opt);
          expectSameSnapshot(
            {...after, weights: stateless(after.weights)},
            {...before, weights: stateless(before.weights)},
          );
          expect(opt.lastStepSkipped).toBe(true);
          expect(opt.skippedSteps).toBe(1);
          expect(opt.lossScale).toBe(2 ** 9);
          expect(opt.iterations).toBe(3);
          expect(opt.innerOptimizer.iterations).toBe(2);
          // The next clean step is applied again.
          opt.minimize(p.loss);
          expect(opt.innerOptimizer.iterations).toBe(3);
          expect(opt.lastStepSkipped).toBe(false);
          opt.dispose();
          p.dispose();
        });
      }

    for (const mode of MODES)
      for (const name of Object.keys(OPTIMIZERS)) {
        it(`trains bit-for-bit like ${name} alone when nothing overflows ('${mode}')`, async () => {
          const a = makeProblem();
          const b = makeProblem();
          const plain = OPTIMIZERS[name]!();
          const wrapped = new LossScaleOptimizer(OPTIMIZERS[name]!(), {mode});
          for (let i = 0; i < 4; i++) {
            const la = plain.minimize(a.loss, true)!;
            const lb = wrapped.minimize(b.loss, true)!;
            expectBitsEqual(valuesOf(lb), valuesOf(la), `${name} loss at step ${i}`);
            tf.dispose([la, lb]);
          }
          expect(wrapped.skippedSteps).toBe(0);
          expectSameSnapshot(
            await snapshot(b.vars, wrapped).then((s) => ({...s, weights: stateless(s.weights)})),
            await snapshot(a.vars, plain),
          );
          plain.dispose();
          wrapped.dispose();
          a.dispose();
          b.dispose();
        });
      }

    for (const mode of MODES)
      it(`leaks no tensor in minimize, applied or skipped, with or without clipping ('${mode}')`, async () => {
        const p = makeProblem();
        for (const options of [{}, {globalClipNorm: 0.5, clipValue: 1, reportGradNorm: true}]) {
          const opt = new LossScaleOptimizer(tf.train.adam(0.01), {...options, mode});
          opt.minimize(p.loss); // creates the slots
          await expectNoLeaks(() => {
            opt.minimize(p.loss);
            opt.minimize(p.badLoss);
            opt.minimize(p.loss, false, p.vars);
            tf.dispose(opt.minimize(p.loss, true, p.vars)!);
          });
          opt.dispose();
        }
        p.dispose();
      });
  });

  describe('on cpu', () => {
    beforeAll(async () => {
      await useBackend('cpu');
    });

    it('is a tf.Optimizer that only its own instances match', () => {
      const opt = new LossScaleOptimizer(tf.train.sgd(0.1));
      expect(opt instanceof tf.Optimizer).toBe(true);
      expect(tf.train.sgd(0.1) instanceof LossScaleOptimizer).toBe(false);
      expect(opt instanceof LossScaleOptimizer).toBe(true);
      expect(opt.getClassName()).toBe('LossScaleOptimizer');
      opt.dispose();
    });

    it('rejects an inner value that is not an optimizer, or is already loss-scaled', () => {
      expect(() => new LossScaleOptimizer({} as tf.Optimizer)).toThrow(
        'LossScaleOptimizer: inner must be a tf.Optimizer (e.g. tf.train.adam()); got object.',
      );
      const once = new LossScaleOptimizer(tf.train.sgd(0.1));
      expect(() => new LossScaleOptimizer(once)).toThrow(
        'LossScaleOptimizer: inner must be an optimizer without loss scaling; got a LossScaleOptimizer. Wrap the inner optimizer once.',
      );
      expect(() => new LossScaleOptimizer(tf.train.sgd(0.1), {backoffFactor: 2})).toThrow(
        'LossScaleOptimizer: backoffFactor must be in (0, 1); got 2.',
      );
      once.dispose();
    });

    it('starts from the options: scale, counters and phase', () => {
      const opt = new LossScaleOptimizer(tf.train.sgd(0.1), {hysteresis: 3});
      expect(opt.lossScale).toBe(DEFAULT_LOSS_SCALE_OPTIONS.initialScale);
      expect([opt.goodSteps, opt.overflowCount, opt.skippedSteps, opt.iterations]).toEqual([
        0, 0, 0, 0,
      ]);
      expect(opt.hysteresisLeft).toBe(3);
      expect(opt.lastStepSkipped).toBe(false);
      expect(opt.stepPhase).toBe('ready');
      expect(Object.isFrozen(opt.options)).toBe(true);
      opt.dispose();
    });

    it('returns the unscaled loss bit-for-bit', async () => {
      const p = makeProblem();
      const opt = new LossScaleOptimizer(tf.train.sgd(0), {initialScale: 3}); // not a power of two
      await expectNoLeaks(() => {
        const direct = tf.tidy(p.loss);
        const cost = opt.minimize(p.loss, true)!;
        expectBitsEqual(valuesOf(cost), valuesOf(direct));
        tf.dispose([direct, cost]);
      });
      opt.dispose();
      p.dispose();
    });

    it('reads one value from the device per step', () => {
      const p = makeProblem();
      const opt = new LossScaleOptimizer(tf.train.adam(0.01), {globalClipNorm: 1});
      opt.minimize(p.loss);
      let reads = 0;
      for (const m of ['dataSync', 'data', 'arraySync', 'array'] as const) {
        const original = tf.Tensor.prototype[m] as (...a: unknown[]) => unknown;
        vi.spyOn(tf.Tensor.prototype, m).mockImplementation(function (
          this: tf.Tensor,
          ...a: unknown[]
        ) {
          reads++;
          return original.apply(this, a);
        } as never);
      }
      opt.minimize(p.loss);
      opt.minimize(p.badLoss);
      vi.restoreAllMocks();
      expect(reads).toBe(2);
      opt.dispose();
      p.dispose();
    });

    it('applies clipped unscaled gradients', () => {
      const w = tf.variable(tf.zeros([2]), true, 'clip/w');
      const target = tf.tensor1d([3, 4]);
      // loss = -sum(w * target): gradient -[3, 4], norm 5. SGD(1) from 0 gives w = -g.
      const loss = () => tf.neg(tf.sum(tf.mul(w, target))) as Scalar;
      const cases: [object, number[]][] = [
        [{}, [3, 4]],
        [{clipValue: 3.5}, [3, 3.5]],
        [{globalClipNorm: 2.5}, [1.5, 2]],
        [{clipNorm: 10}, [3, 4]],
      ];
      for (const [options, expected] of cases) {
        w.assign(tf.zeros([2]));
        const opt = new LossScaleOptimizer(tf.train.sgd(1), options);
        opt.minimize(loss);
        expectBitsEqual(valuesOf(w), expected, JSON.stringify(options));
        opt.dispose();
      }
      tf.dispose([w, target]);
    });

    describe('custom loop', () => {
      it('scaleLoss + computeGradients + unscaleGradients + applyGradients equals minimize', async () => {
        const a = makeProblem();
        const b = makeProblem();
        const viaMinimize = new LossScaleOptimizer(tf.train.adam(0.01), {growthInterval: 2});
        const viaSteps = new LossScaleOptimizer(tf.train.adam(0.01), {growthInterval: 2});
        const eventsA: LossScaleEvent[] = [];
        const eventsB: LossScaleEvent[] = [];
        viaMinimize.onUpdate((e) => eventsA.push(e));
        viaSteps.onUpdate((e) => eventsB.push(e));
        const schedule = [a.loss, a.loss, a.badLoss, a.loss, a.loss, a.loss];
        const scheduleB = [b.loss, b.loss, b.badLoss, b.loss, b.loss, b.loss];
        viaMinimize.minimize(a.loss);
        tf.dispose(
          viaSteps.applyGradients(
            viaSteps.unscaleGradients(
              viaSteps.computeGradients(() => viaSteps.scaleLoss(b.loss())).grads,
            ),
          ) as never,
        );
        for (let i = 0; i < schedule.length; i++) {
          viaMinimize.minimize(schedule[i]!);
          await expectNoLeaks(() => {
            const {value, grads} = viaSteps.computeGradients(() =>
              viaSteps.scaleLoss(scheduleB[i]!()),
            );
            expect(viaSteps.stepPhase).toBe('scaled');
            const unscaled = viaSteps.unscaleGradients(grads);
            expect(viaSteps.stepPhase).toBe('unscaled');
            viaSteps.applyGradients(unscaled);
            expect(viaSteps.stepPhase).toBe('ready');
            tf.dispose([value, grads, unscaled]);
          });
        }
        expect(eventsB).toEqual(eventsA);
        expect(eventsA.map((e) => e.skipped)).toEqual([
          false,
          false,
          false,
          true,
          false,
          false,
          false,
        ]);
        expectSameSnapshot(await snapshot(b.vars, viaSteps), await snapshot(a.vars, viaMinimize));
        viaMinimize.dispose();
        viaSteps.dispose();
        a.dispose();
        b.dispose();
      });

      it('accepts gradients as an array and keeps missing ones', () => {
        const p = makeProblem();
        const unused = tf.variable(tf.ones([2]), true, 'custom/unused');
        const opt = new LossScaleOptimizer(tf.train.sgd(0.1), {initialScale: 4});
        const {value, grads} = opt.computeGradients(() => opt.scaleLoss(p.loss()), p.vars);
        const list = [...p.vars, unused].map((v) => ({name: v.name, tensor: grads[v.name]!}));
        const unscaled = opt.unscaleGradients(list);
        expect(unscaled.map((g) => g.name)).toEqual(list.map((g) => g.name));
        expect(unscaled[2]!.tensor).toBeNull();
        expectBitsEqual(
          valuesOf(unscaled[1]!.tensor),
          Float32Array.from(valuesOf(list[1]!.tensor), (x) => x / 4),
        );
        opt.applyGradients(unscaled);
        expectBitsEqual(valuesOf(unused), [1, 1]);
        tf.dispose([
          value,
          grads,
          ...unscaled.map((g) => g.tensor).filter((t) => t != null),
          unused,
        ]);
        opt.dispose();
        p.dispose();
      });

      it('throws on calls out of order, naming the next call', () => {
        const p = makeProblem();
        const opt = new LossScaleOptimizer(tf.train.sgd(0.1));
        const {value, grads} = opt.computeGradients(p.loss);
        expect(() => opt.unscaleGradients(grads)).toThrow(
          /unscaleGradients\(\) is not allowed now: no loss has been scaled this step \(phase 'ready'\); call scaleLoss\(loss\) inside the function passed to computeGradients\(\)/,
        );
        expect(() => opt.applyGradients(grads)).toThrow(/phase 'ready'/);
        tf.dispose([value, grads]);

        const step = opt.computeGradients(() => opt.scaleLoss(p.loss()));
        expect(() => opt.applyGradients(step.grads)).toThrow(
          /applyGradients\(\) is not allowed now: the loss is scaled but the gradients are not unscaled yet \(phase 'scaled'\); call unscaleGradients\(grads\) next/,
        );
        expect(() => opt.minimize(p.loss)).toThrow(
          /minimize\(\) is not allowed now.*phase 'scaled'/,
        );
        const unscaled = opt.unscaleGradients(step.grads);
        expect(() => opt.unscaleGradients(step.grads)).toThrow(
          "LossScaleOptimizer: unscaleGradients() already ran this step (phase 'unscaled'); call applyGradients(unscaledGrads) next",
        );
        expect(() => opt.scaleLoss(p.loss())).toThrow(/scaleLoss\(\) is not allowed now/);
        expect(() => opt.computeGradients(p.loss)).toThrow(/phase 'unscaled'/);
        tf.dispose([step.value, step.grads, unscaled]);
        expect(opt.iterations).toBe(0);

        opt.cancelStep();
        expect(opt.stepPhase).toBe('ready');
        opt.minimize(p.loss);
        expect(opt.iterations).toBe(1);
        opt.dispose();
        p.dispose();
      });

      it('refuses scaleLoss inside minimize, which scales by itself', async () => {
        const p = makeProblem();
        const opt = new LossScaleOptimizer(tf.train.sgd(0.1));
        await expectNoLeaks(() => {
          expect(() => opt.minimize(() => opt.scaleLoss(p.loss()))).toThrow(
            'LossScaleOptimizer: scaleLoss() called inside minimize(), which scales the loss itself; return the plain loss from f. No step was taken.',
          );
        });
        expect(opt.stepPhase).toBe('ready');
        expect(opt.iterations).toBe(0);
        opt.minimize(p.loss);
        expect(opt.iterations).toBe(1);
        opt.dispose();
        p.dispose();
      });
    });

    describe('events', () => {
      it('reports each step, applied and skipped', () => {
        const p = makeProblem();
        const opt = new LossScaleOptimizer(tf.train.sgd(0.01), {
          initialScale: 8,
          growthInterval: 2,
          reportGradNorm: true,
        });
        const events: LossScaleEvent[] = [];
        const off = opt.onUpdate((e) => events.push(e));
        opt.minimize(p.loss);
        opt.minimize(p.loss);
        opt.minimize(p.badLoss);
        off();
        opt.minimize(p.loss);
        expect(events.map(({gradNorm: _, ...rest}) => rest)).toEqual([
          {
            step: 0,
            stepScale: 8,
            lossScale: 8,
            scaleChange: 'unchanged',
            skipped: false,
            goodSteps: 1,
            overflowCount: 0,
            skippedSteps: 0,
            stuckAtMinScale: false,
          },
          {
            step: 1,
            stepScale: 8,
            lossScale: 16,
            scaleChange: 'grew',
            skipped: false,
            goodSteps: 0,
            overflowCount: 0,
            skippedSteps: 0,
            stuckAtMinScale: false,
          },
          {
            step: 2,
            stepScale: 16,
            lossScale: 8,
            scaleChange: 'backed-off',
            skipped: true,
            goodSteps: 0,
            overflowCount: 1,
            skippedSteps: 1,
            stuckAtMinScale: false,
          },
        ]);
        expect(events[0]!.gradNorm! > 0 && Number.isFinite(events[0]!.gradNorm)).toBe(true);
        expect(Number.isFinite(events[2]!.gradNorm)).toBe(false);
        expect(events.length).toBe(3);
        opt.dispose();
        p.dispose();
      });

      it('reports repeated overflows at minScale and warns once', () => {
        const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
        const p = makeProblem();
        const opt = new LossScaleOptimizer(tf.train.sgd(0.01), {initialScale: 2, minScale: 1});
        const events: LossScaleEvent[] = [];
        opt.onUpdate((e) => events.push(e));
        for (let i = 0; i < 4; i++) opt.minimize(p.badLoss);
        expect(events.map((e) => [e.stepScale, e.stuckAtMinScale, e.overflowCount])).toEqual([
          [2, false, 1],
          [1, true, 2],
          [1, true, 3],
          [1, true, 4],
        ]);
        expect(opt.skippedSteps).toBe(4);
        expect(warn).toHaveBeenCalledTimes(1);
        expect(String(warn.mock.calls[0]![0])).toMatch(
          /^LossScaleOptimizer: step 1 overflowed with the loss scale at its floor \(1, minScale\); the step was skipped\./,
        );
        opt.minimize(p.loss);
        expect(opt.overflowCount).toBe(0);
        opt.dispose();
        p.dispose();
      });

      it('reports every overflow with a fixed scale as stuck', () => {
        vi.spyOn(console, 'warn').mockImplementation(() => {});
        const p = makeProblem();
        const opt = new LossScaleOptimizer(tf.train.sgd(0.01), {dynamic: false, initialScale: 64});
        const events: LossScaleEvent[] = [];
        opt.onUpdate((e) => events.push(e));
        opt.minimize(p.badLoss);
        opt.minimize(p.loss);
        expect(events.map((e) => [e.lossScale, e.skipped, e.stuckAtMinScale])).toEqual([
          [64, true, true],
          [64, false, false],
        ]);
        opt.dispose();
        p.dispose();
      });
    });

    describe('learning rate', () => {
      it('delegates to setLearningRate (SGD) or the learningRate field (Adam)', () => {
        const sgd = new LossScaleOptimizer(tf.train.sgd(0.1));
        sgd.setLearningRate(0.5);
        expect(sgd.learningRate).toBe(0.5);
        const w = tf.variable(tf.zeros([1]), true, 'lr/w');
        sgd.minimize(() => tf.sum(tf.mul(w, -2)) as Scalar); // gradient -2, lr 0.5: w = 1
        expectBitsEqual(valuesOf(w), [1]);
        const adam = new LossScaleOptimizer(tf.train.adam(0.1));
        adam.learningRate = 0.25;
        expect((adam.innerOptimizer as unknown as {learningRate: number}).learningRate).toBe(0.25);
        expect(() => adam.setLearningRate(Number.NaN)).toThrow(
          'LossScaleOptimizer.setLearningRate: learningRate must be a finite number; got NaN.',
        );
        tf.dispose(w);
        sgd.dispose();
        adam.dispose();
      });
    });

    describe('weights', () => {
      it('puts the scale state first, then the inner weights', async () => {
        const p = makeProblem();
        const opt = new LossScaleOptimizer(tf.train.adam(0.01), {
          initialScale: 64,
          growthInterval: 3,
        });
        opt.minimize(p.loss);
        opt.minimize(p.badLoss);
        opt.minimize(p.loss);
        const {names, values} = await weightsOf(opt);
        expect(names.slice(0, 7)).toEqual(Object.values(STATE_WEIGHT_NAMES));
        // scale 32, goodSteps 1, hysteresisLeft 1, overflowCount 0, skipped 1, iterations 3, last 0
        expect(values.slice(0, 7).map((v) => v[0])).toEqual([32, 1, 1, 0, 1, 3, 0]);
        expect(names.slice(7)).toEqual([
          'iter',
          `${p.vars[0]!.name}/m`,
          `${p.vars[1]!.name}/m`,
          `${p.vars[0]!.name}/v`,
          `${p.vars[1]!.name}/v`,
        ]);
        expect(values[7]![0]).toBe(2);
        opt.dispose();
        p.dispose();
      });

      it('restores the scale state and the inner slots exactly', async () => {
        const p = makeProblem();
        const opt = new LossScaleOptimizer(tf.train.rmsprop(0.01, 0.9, 0.5), {
          initialScale: 64,
          growthInterval: 3,
          hysteresis: 2,
        });
        for (const f of [p.loss, p.badLoss, p.loss, p.badLoss, p.loss]) opt.minimize(f);
        const saved = await opt.getWeights();
        const copy = new LossScaleOptimizer(tf.train.rmsprop(0.01, 0.9, 0.5), opt.options);
        await copy.setWeights(saved.map((w) => ({name: w.name, tensor: w.tensor.clone()})));
        for (const key of [
          'lossScale',
          'goodSteps',
          'hysteresisLeft',
          'overflowCount',
          'skippedSteps',
          'lastStepSkipped',
          'iterations',
        ] as const) {
          expect(copy[key], key).toEqual(opt[key]);
        }
        expect(copy.innerOptimizer.iterations).toBe(opt.innerOptimizer.iterations);
        expectSameSnapshot(await snapshot(p.vars, copy), await snapshot(p.vars, opt));
        tf.dispose(saved.filter((w) => !(w.tensor instanceof tf.Variable)).map((w) => w.tensor));
        opt.dispose();
        copy.dispose();
        p.dispose();
      });

      it('passes weights without scale state to the inner optimizer and keeps its own', async () => {
        const p = makeProblem();
        const bare = tf.train.momentum(0.1, 0.9);
        bare.minimize(p.loss);
        const opt = new LossScaleOptimizer(tf.train.momentum(0.1, 0.9), {initialScale: 512});
        const weights = await bare.getWeights();
        await opt.setWeights(weights);
        expect(opt.lossScale).toBe(512);
        expect(opt.innerOptimizer.iterations).toBe(1);
        tf.dispose(weights[0]!.tensor);
        bare.dispose();
        opt.dispose();
        p.dispose();
      });

      it('refuses a partial scale state and changes nothing', async () => {
        const opt = new LossScaleOptimizer(tf.train.sgd(0.1), {initialScale: 512});
        const weights = await opt.getWeights();
        await expect(opt.setWeights(weights.slice(1))).rejects.toThrow(
          'LossScaleOptimizer.setWeights: the scale state is incomplete; missing LossScaleOptimizer/loss_scale. Pass all of getWeights() or none of its LossScaleOptimizer/ entries.',
        );
        expect(opt.lossScale).toBe(512);
        tf.dispose(weights[7]!.tensor);
        opt.dispose();
      });

      it('refuses setWeights in the middle of a custom step', async () => {
        const p = makeProblem();
        const opt = new LossScaleOptimizer(tf.train.sgd(0.1));
        const step = opt.computeGradients(() => opt.scaleLoss(p.loss()));
        await expect(opt.setWeights([])).rejects.toThrow(/setWeights\(\) is not allowed now/);
        tf.dispose([step.value, step.grads]);
        opt.dispose();
        p.dispose();
      });
    });

    describe('config', () => {
      for (const name of Object.keys(OPTIMIZERS)) {
        it(`round-trips through getConfig / fromConfig with ${name} inside`, () => {
          const inner = OPTIMIZERS[name]!();
          const opt = new LossScaleOptimizer(inner, {
            initialScale: 1024,
            growthInterval: 7,
            hysteresis: 2,
            globalClipNorm: 3,
            clipValue: 1,
          });
          const config = JSON.parse(JSON.stringify(opt.getConfig()));
          expect(config.innerOptimizer).toEqual({
            className: inner.getClassName(),
            config: inner.getConfig(),
          });
          const back = LossScaleOptimizer.fromConfig(
            LossScaleOptimizer,
            config,
          ) as LossScaleOptimizer;
          expect(back).toBeInstanceOf(LossScaleOptimizer);
          expect(back.options).toEqual(opt.options);
          expect(back.innerOptimizer.getClassName()).toBe(inner.getClassName());
          expect(back.innerOptimizer.getConfig()).toEqual(inner.getConfig());
          expect(back.getConfig()).toEqual(opt.getConfig());
          opt.dispose();
          back.dispose();
        });
      }

      it('is registered with tfjs serialization', () => {
        const entry = tf.serialization.SerializationMap.getMap().classNameMap.LossScaleOptimizer;
        expect(entry?.[0]).toBe(LossScaleOptimizer);
      });

      it('explains an inner optimizer class that cannot be serialized', () => {
        class Unnamed extends tf.SGDOptimizer {}
        Object.defineProperty(Unnamed, 'className', {value: undefined});
        const opt = new LossScaleOptimizer(new Unnamed(0.1));
        expect(() => opt.getConfig()).toThrow(/has no static className, so it cannot be saved/);
        expect(() =>
          LossScaleOptimizer.fromConfig(LossScaleOptimizer, {
            innerOptimizer: {className: 'NoSuchOptimizer', config: {}},
          }),
        ).toThrow(
          "LossScaleOptimizer.fromConfig: unknown optimizer class 'NoSuchOptimizer'. Register it first: tf.serialization.registerClass(TheClass).",
        );
        opt.dispose();
      });

      it('wraps a registered user subclass', () => {
        class HalvingSgd extends tf.SGDOptimizer {
          static override get className() {
            return 'HalvingSgd';
          }
        }
        tf.serialization.registerClass(HalvingSgd);
        const opt = new LossScaleOptimizer(new HalvingSgd(0.5));
        const back = LossScaleOptimizer.fromConfig(
          LossScaleOptimizer,
          JSON.parse(JSON.stringify(opt.getConfig())),
        ) as LossScaleOptimizer;
        expect(back.innerOptimizer).toBeInstanceOf(HalvingSgd);
        opt.dispose();
        back.dispose();
      });
    });

    it('disposes the inner optimizer and its slots', async () => {
      const p = makeProblem();
      const before = tf.memory().numTensors;
      const opt = new LossScaleOptimizer(tf.train.adam(0.01));
      opt.minimize(p.loss);
      expect(tf.memory().numTensors).toBeGreaterThan(before);
      const weights = await opt.getWeights();
      tf.dispose(weights[7]!.tensor); // tfjs's own fresh `iter` scalar
      opt.dispose();
      expect(tf.memory().numTensors).toBe(before);
      p.dispose();
    });
  });
});

/** Optimizer weights without the wrapper's own state entries. */
function stateless(w: {names: string[]; values: Float32Array[]}) {
  const keep = w.names.map((n) => !n.startsWith('LossScaleOptimizer/'));
  return {names: w.names.filter((_, i) => keep[i]), values: w.values.filter((_, i) => keep[i])};
}

// Type-level check: unscaleGradients keeps the shape of what it is given.
export type _MapIn =
  ReturnType<LossScaleOptimizer['unscaleGradients']> extends NamedTensorMap ? true : never;
