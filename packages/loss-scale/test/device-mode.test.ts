// 'device' mode: no read back during a step (spied on the backend and on tensors), and the same
// steps, state, events, weights and fit results as 'sync' mode.
import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {afterAll, afterEach, beforeAll, describe, expect, it, vi} from 'vitest';
import {
  FLOAT32_MAX,
  type LossScaleEvent,
  type LossScaleOptions,
  LossScaleOptimizer,
} from '../src/index.js';
import {LOSS_SCALE_UPDATE_CONFIGS} from '../src/kernels/loss-scale-update.js';
import {SELECT_BY_FLAG_CONFIGS} from '../src/kernels/select-by-flag.js';
import {makeData, makeMlp, makeProblem, modelWeights, valuesOf} from './support.js';
import {gradNumber, TRAJECTORIES} from './trajectories.js';
import {quantize} from '@tfjs-amp/kernels';

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * Counts every read back: the backend's read/readSync and the tensor read methods (a tensor's
 * dataSync also calls readSync, so one blocking read counts 2).
 */
function countReads(): {readonly count: number} {
  const counter = {count: 0};
  const backend = tf.backend() as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const m of ['read', 'readSync'] as const) {
    const original = backend[m]!;
    vi.spyOn(backend, m).mockImplementation(function (this: unknown, ...a: unknown[]) {
      counter.count++;
      return original.apply(this, a);
    } as never);
  }
  for (const m of ['dataSync', 'data', 'arraySync', 'array'] as const) {
    const original = tf.Tensor.prototype[m] as (...a: unknown[]) => unknown;
    vi.spyOn(tf.Tensor.prototype, m).mockImplementation(function (
      this: tf.Tensor,
      ...a: unknown[]
    ) {
      counter.count++;
      return original.apply(this, a);
    } as never);
  }
  return counter;
}

/** Runs the same steps (clean, growth, overflow, custom loop) and returns events and final state. */
async function runSteps(options: LossScaleOptions, spy = false) {
  const p = makeProblem();
  const opt = new LossScaleOptimizer(tf.train.adam(0.01), {
    initialScale: 8,
    growthInterval: 2,
    hysteresis: 2,
    globalClipNorm: 0.5,
    clipValue: 4,
    reportGradNorm: true,
    ...options,
  });
  const events: LossScaleEvent[] = [];
  opt.onUpdate((e) => events.push(e));
  const reads = spy ? countReads() : {count: 0};
  const losses: tf.Tensor[] = [];
  for (const f of [p.loss, p.loss, p.badLoss, p.loss, p.badLoss, p.badLoss, p.loss]) {
    losses.push(opt.minimize(f, true)!);
  }
  // A custom-loop step too.
  const {value, grads} = opt.computeGradients(() => opt.scaleLoss(p.loss()));
  const unscaled = opt.unscaleGradients(grads);
  opt.applyGradients(unscaled);
  tf.dispose([value, grads, unscaled]);
  const readsInSteps = reads.count;
  const eventsBeforeRead = events.length;
  vi.restoreAllMocks();
  const state = await opt.readState();
  const lossValues = losses.map(valuesOf);
  tf.dispose(losses);
  const vars = p.vars.map(valuesOf);
  const weights = (await opt.getWeights()).map((w) => ({name: w.name, values: valuesOf(w.tensor)}));
  for (const w of await opt.innerOptimizer.getWeights()) {
    if (!(w.tensor instanceof tf.Variable)) w.tensor.dispose();
  }
  const innerIterations = opt.innerOptimizer.iterations;
  opt.dispose();
  p.dispose();
  return {
    events,
    eventsBeforeRead,
    readsInSteps,
    state,
    lossValues,
    vars,
    weights,
    innerIterations,
  };
}

describe("LossScaleOptimizer in 'device' mode", () => {
  describeBackends(['cpu', 'wasm'], () => {
    it('reads nothing back during steps (backend read/readSync and tensor reads spied)', async () => {
      const device = await runSteps({mode: 'device'}, true);
      expect(device.readsInSteps).toBe(0);
      // Events wait for the read.
      expect(device.eventsBeforeRead).toBe(0);
      expect(device.events.length).toBe(8);
    });

    it("takes the same steps as 'sync' mode: events, state, losses, variables, slots", async () => {
      const sync = await runSteps({mode: 'sync'});
      const device = await runSteps({mode: 'device'});
      expect(sync.events.length).toBe(8);
      expect(sync.events.filter((e) => e.skipped).length).toBe(3);
      expect(sync.events.some((e) => e.scaleChange === 'grew')).toBe(true);
      expect(sync.events.some((e) => e.scaleChange === 'backed-off')).toBe(true);
      expect(device.events).toEqual(sync.events);
      expect(device.state).toEqual(sync.state);
      expect(device.innerIterations).toBe(sync.innerIterations);
      expect(device.innerIterations).toBe(5);
      device.lossValues.forEach((v, i) => {
        expectBitsEqual(v, sync.lossValues[i]!, `loss ${i}`);
      });
      device.vars.forEach((v, i) => {
        expectBitsEqual(v, sync.vars[i]!, `variable ${i}`);
      });
      const plain = (n: string) => n.replace(/^problem\d+\//, 'problem/');
      expect(device.weights.map((w) => plain(w.name))).toEqual(
        sync.weights.map((w) => plain(w.name)),
      );
      device.weights.forEach((w, i) => {
        expectBitsEqual(w.values, sync.weights[i]!.values, w.name);
      });
    });

    it('reads the state once on demand, and not again until the next step', () => {
      const p = makeProblem();
      const opt = new LossScaleOptimizer(tf.train.sgd(0.01), {mode: 'device', initialScale: 4});
      opt.minimize(p.badLoss);
      const reads = countReads();
      expect(opt.lossScale).toBe(2);
      const once = reads.count;
      expect(once).toBeGreaterThan(0);
      expect(once).toBeLessThanOrEqual(4); // the scale and the int32 counters, counted twice each
      expect(opt.skippedSteps).toBe(1);
      expect(opt.lastStepSkipped).toBe(true);
      expect(opt.goodSteps).toBe(0);
      expect(reads.count).toBe(once);
      opt.dispose();
      p.dispose();
    });

    it('leaks nothing over steps with listeners, reads and a custom loop', async () => {
      const p = makeProblem();
      const opt = new LossScaleOptimizer(tf.train.adam(0.01), {mode: 'device', clipNorm: 1});
      const events: LossScaleEvent[] = [];
      opt.onUpdate((e) => events.push(e));
      opt.minimize(p.loss); // creates the slots
      await opt.readState();
      await expectNoLeaks(async () => {
        for (let i = 0; i < 70; i++) opt.minimize(i % 7 === 3 ? p.badLoss : p.loss);
        const {value, grads} = opt.computeGradients(() => opt.scaleLoss(p.loss()));
        const unscaled = opt.unscaleGradients(grads);
        opt.cancelStep();
        tf.dispose([value, grads, unscaled]);
        await opt.readState();
      });
      expect(events.length).toBe(71);
      expect(events.map((e) => e.step)).toEqual([...Array(71).keys()]);
      opt.dispose();
      p.dispose();
    });

    it('saves and restores its state and slots like sync mode', async () => {
      const p = makeProblem();
      const opt = new LossScaleOptimizer(tf.train.adam(0.01), {mode: 'device', initialScale: 16});
      opt.minimize(p.loss);
      opt.minimize(p.badLoss);
      const saved = await opt.getWeights();
      const copy = saved.map((w) => ({name: w.name, tensor: tf.clone(w.tensor)}));
      const other = new LossScaleOptimizer(tf.train.adam(0.01), {mode: 'device'});
      await other.setWeights(copy);
      expect(await other.readState()).toEqual(await opt.readState());
      expect(other.innerOptimizer.iterations).toBe(1);
      tf.dispose(copy.map((w) => w.tensor));
      for (const o of [opt, other]) o.dispose();
      p.dispose();
    });
  });

  describe('with model.fit', () => {
    describeBackends(['cpu', 'wasm'], () => {
      async function fitWith(optimizer: tf.Optimizer, countIn = false) {
        const data = makeData();
        const x = data.x;
        const y = tf.mul(data.y, 1e4);
        data.y.dispose();
        const model = makeMlp();
        model.compile({optimizer, loss: 'meanSquaredError'});
        const reads = countIn ? countReads() : {count: 0};
        const h = await model.fit(x, y, {epochs: 3, batchSize: 8, shuffle: false, verbose: 0});
        const count = reads.count;
        vi.restoreAllMocks();
        const weights = modelWeights(model);
        model.dispose();
        tf.dispose([x, y]);
        return {reads: count, loss: h.history.loss as number[], weights};
      }
      // 2^127 times a loss near 1e8 overflows float32: the first steps are skipped.
      const options: LossScaleOptions = {
        initialScale: 2 ** 127,
        maxScale: FLOAT32_MAX,
        backoffFactor: 2 ** -14,
      };

      it("reads back no more than fit with a plain optimizer, and trains like 'sync' mode", async () => {
        vi.spyOn(console, 'warn').mockImplementation(() => {});
        const plainOpt = tf.train.adam(0.01);
        const plain = await fitWith(plainOpt, true);
        const syncOpt = new LossScaleOptimizer(tf.train.adam(0.01), {...options, mode: 'sync'});
        const sync = await fitWith(syncOpt);
        const deviceOpt = new LossScaleOptimizer(tf.train.adam(0.01), {...options, mode: 'device'});
        const device = await fitWith(deviceOpt, true);
        expect(device.reads).toBe(plain.reads);
        expect(syncOpt.skippedSteps).toBeGreaterThan(0);
        expect(deviceOpt.skippedSteps).toBe(syncOpt.skippedSteps);
        expect(deviceOpt.lossScale).toBe(syncOpt.lossScale);
        expect(deviceOpt.innerOptimizer.iterations).toBe(syncOpt.innerOptimizer.iterations);
        expect(device.loss).toEqual(sync.loss);
        device.weights.forEach((w, i) => {
          expectBitsEqual(w, sync.weights[i]!, `model weight ${i}`);
        });
        for (const o of [plainOpt, syncOpt, deviceOpt]) o.dispose();
      });
    });
  });

  // webgl, webgpu and tfjs-node have no host kernels: tf.where and the float32 tensor rule. Run
  // that path on wasm (whose Tile reads nothing back; the cpu backend's Tile does) with the
  // kernels unregistered.
  describe('without the host kernels (the path of GPU backends)', () => {
    describeBackends(['wasm'], () => {
      const configs = [...SELECT_BY_FLAG_CONFIGS, ...LOSS_SCALE_UPDATE_CONFIGS].filter(
        (c) => c.backendName === 'wasm',
      );
      beforeAll(() => {
        for (const c of configs) tf.unregisterKernel(c.kernelName, c.backendName);
      });
      afterAll(() => {
        for (const c of configs) tf.registerKernel(c);
      });

      it("reads nothing back and takes the same steps as 'sync' mode", async () => {
        const sync = await runSteps({mode: 'sync'});
        const device = await runSteps({mode: 'device'}, true);
        expect(device.readsInSteps).toBe(0);
        expect(device.events).toEqual(sync.events);
        expect(device.state).toEqual(sync.state);
        device.vars.forEach((v, i) => {
          expectBitsEqual(v, sync.vars[i]!, `variable ${i}`);
        });
        device.weights.forEach((w, i) => {
          expectBitsEqual(w.values, sync.weights[i]!.values, w.name);
        });
      });

      for (const t of TRAJECTORIES) {
        const float32Factors = [t.options.growthFactor ?? 2, t.options.backoffFactor ?? 0.5].every(
          (f) => Math.fround(f) === f,
        );
        if (!float32Factors) {
          it(`refuses ${t.name}'s factors (not float32 values) in 'device' mode`, () => {
            expect(
              () => new LossScaleOptimizer(tf.train.sgd(0), {...t.options, mode: 'device'}),
            ).toThrow(RangeError);
          });
          continue;
        }
        it(`matches ${t.name} (${t.library}) step for step`, () => {
          const v = tf.variable(tf.ones([t.grads[0]!.length]), true, `gpu-path/${t.name}`);
          const opt = new LossScaleOptimizer(tf.train.sgd(0), {...t.options, mode: 'device'});
          t.steps.forEach((step, i) => {
            expect(opt.lossScale, `${t.name} step ${i}: scale`).toBe(step.scale);
            const g = tf.tensor1d(t.grads[i]!.map(gradNumber));
            opt.minimize(() => tf.sum(tf.mul(quantize(v, 'float16'), g)) as tf.Scalar);
            g.dispose();
            expect(opt.lastStepSkipped, `${t.name} step ${i}: skipped`).toBe(step.skipped);
            if (step.hysteresisLeft !== undefined) {
              expect(opt.hysteresisLeft, `${t.name} step ${i}: hysteresis`).toBe(
                step.hysteresisLeft,
              );
            }
          });
          expect(opt.lossScale).toBe(t.finalScale);
          opt.dispose();
          v.dispose();
        });
      }
    });
  });
});
