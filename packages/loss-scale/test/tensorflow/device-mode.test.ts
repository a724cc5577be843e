// 'device' mode on tfjs-node (the default there on a GPU): no fused ops (they update TensorFlow
// variables in place, which a select cannot undo), no read back per step, and the same steps as
// 'sync' mode with tfjs's own update (`fused: false`).
import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectBitsEqual} from '@tfjs-amp/test-utils';
import {afterEach, describe, expect, it, vi} from 'vitest';
import {LossScaleOptimizer} from '../../src/index.js';
import {fuseOptimizer} from '@tfjs-amp/optimizers';
import {makeProblem, valuesOf} from '../support.js';

afterEach(() => {
  vi.restoreAllMocks();
});

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

describe("LossScaleOptimizer in 'device' mode on tfjs-node", () => {
  describeBackends(['tensorflow'], () => {
    it("runs unfused, reads nothing back per step, and matches 'sync' mode unfused", async () => {
      vi.spyOn(console, 'warn').mockImplementation(() => {});
      const run = async (mode: 'sync' | 'device', spy: boolean) => {
        const p = makeProblem();
        const opt = new LossScaleOptimizer(tf.train.adam(0.01), {
          mode,
          fused: mode === 'device', // asked for in 'device' mode, and still not used
          initialScale: 8,
          growthInterval: 2,
          globalClipNorm: 0.5,
        });
        const reads = spy ? countReads() : {count: 0};
        for (const f of [p.loss, p.loss, p.badLoss, p.loss, p.loss]) opt.minimize(f, false, p.vars);
        const stepReads = reads.count;
        vi.restoreAllMocks();
        const result = {
          stepReads,
          isFused: opt.isFused,
          state: await opt.readState(),
          vars: p.vars.map(valuesOf),
        };
        opt.dispose();
        p.dispose();
        return result;
      };
      const sync = await run('sync', false);
      const device = await run('device', true);
      expect(device.isFused).toBe(false);
      expect(device.stepReads).toBe(0);
      expect(device.state).toEqual(sync.state);
      expect(device.state.skippedSteps).toBe(1);
      device.vars.forEach((v, i) => {
        expectBitsEqual(v, sync.vars[i]!, `variable ${i}`);
      });
    });

    it('refuses a FusedOptimizer inside, whose in-place updates a skipped step cannot undo', () => {
      const fused = fuseOptimizer(tf.train.adam(0.01));
      expect(() => new LossScaleOptimizer(fused, {mode: 'device'})).toThrow(TypeError);
      expect(() => new LossScaleOptimizer(fused, {mode: 'device'})).toThrow(/mode 'sync'/);
      new LossScaleOptimizer(fused, {mode: 'sync'}).dispose();
    });
  });
});
