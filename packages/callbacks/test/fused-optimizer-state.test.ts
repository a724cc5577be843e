// Training snapshots with fuseOptimizer(...) on tfjs-node: its slots live in TensorFlow resource
// variables, which a snapshot of tfjs variables does not see; the optimizer captures them itself
// through the OPTIMIZER_STATE protocol. Before the fix, the rollbacks left the fused slots as the
// undone step made them (NaN after a NaN batch).
import * as tf from '@tensorflow/tfjs';
import {LossScaleOptimizer} from '@tfjs-amp/loss-scale';
import {fuseOptimizer} from '@tfjs-amp/optimizers';
import {applyPolicy, removePolicy} from '@tfjs-amp/policy';
import {describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {
  disposeSnapshot,
  isSnapshotFinite,
  restoreSnapshot,
  takeSnapshot,
} from '../src/internal/training-snapshot.js';
import {precisionFallback} from '../src/precision-fallback.js';
import {regressionData, tinyModel} from './support.js';

/** The optimizer's weights (`getWeights()`: iterations, then slots) as plain arrays. */
async function optimizerValues(optimizer: tf.Optimizer): Promise<Float32Array[]> {
  const weights = await optimizer.getWeights();
  // A LossScaleOptimizer's own scale state is not rewound by a snapshot: its inner weights only.
  return weights
    .filter((w) => !w.name.startsWith('LossScaleOptimizer/'))
    .map((w) => Float32Array.from(w.tensor.dataSync()));
}

function modelValues(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => Float32Array.from(w.dataSync()));
}

function expectAllBitsEqual(actual: Float32Array[], expected: Float32Array[], what: string): void {
  expect(actual.length, `${what}: count`).toBe(expected.length);
  for (const [i, v] of expected.entries()) expectBitsEqual(actual[i]!, v, `${what} ${i}`);
}

/**
 * Two separate runs agree to accumulation order: oneDNN's CPU kernels may sum in an order that
 * depends on where their operands lie in memory, so two runs of the same steps can differ in the
 * last bit (seen: 1 ulp in one Adam moment, about half the time). A step that was not undone, or
 * undone wrongly, moves values by about the learning rate (1e-2), far beyond 2^-20 of a tensor's
 * largest magnitude, which is the bound per element.
 */
function expectAllRunsAgree(actual: Float32Array[], expected: Float32Array[], what: string): void {
  expect(actual.length, `${what}: count`).toBe(expected.length);
  for (const [i, want] of expected.entries()) {
    const got = actual[i]!;
    expect(got.length, `${what} ${i}: length`).toBe(want.length);
    const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const bad = Array.from(want.keys()).filter(
      (j) => !(Math.abs(got[j]! - want[j]!) <= 2 ** -20 * scale) || Number.isNaN(got[j]!),
    );
    expect(
      bad.map((j) => `[${j}] ${got[j]} vs ${want[j]}`),
      `${what} ${i}: elements beyond 2^-20 of the largest`,
    ).toEqual([]);
  }
}

/**
 * A batch of `rows` rows starting at row `seed`. Its tensors are used once at once: tfjs-node makes
 * a tensor's native handle at its first use, which a leak check would count.
 */
function batch(rows: number, seed: number): {x: tf.Tensor; y: tf.Tensor} {
  const data = regressionData(rows + seed, 4);
  const x = tf.tensor2d(data.x.subarray(seed * 4), [rows, 4]);
  const y = tf.tensor2d(data.y.subarray(seed), [rows, 1]);
  tf.tidy(() => [x.add(0), y.add(0)]);
  return {x, y};
}

async function train(model: tf.LayersModel, b: {x: tf.Tensor; y: tf.Tensor}): Promise<void> {
  await model.trainOnBatch(b.x, b.y);
}

type MakeOptimizer = () => tf.Optimizer;

const OPTIMIZERS: ReadonlyArray<[string, MakeOptimizer]> = [
  ['fuseOptimizer(adam)', () => fuseOptimizer(tf.train.adam(0.05))],
  ['fuseOptimizer(momentum)', () => fuseOptimizer(tf.train.momentum(0.05, 0.9))],
  // A LossScaleOptimizer in 'sync' mode fuses what it wraps on tfjs-node.
  [
    'LossScaleOptimizer(adam), fused inside',
    () => new LossScaleOptimizer(tf.train.adam(0.05), {mode: 'sync'}),
  ],
];

function compiled(make: MakeOptimizer): tf.Sequential {
  const model = tinyModel();
  model.compile({optimizer: make(), loss: 'meanSquaredError'});
  return model;
}

describeBackends(['tensorflow'], () => {
  describe('takeSnapshot / restoreSnapshot with a fused optimizer', () => {
    for (const [name, make] of OPTIMIZERS) {
      it(`${name}: restores slots, step counters and iterations bit for bit, and the next step matches a run without the undone step`, async () => {
        const model = compiled(make);
        const reference = compiled(make);
        const [b0, b1, bad] = [batch(8, 0), batch(8, 1), batch(8, 2)];
        for (const m of [model, reference]) {
          await train(m, b0);
          await train(m, b1);
        }
        if (model.optimizer instanceof LossScaleOptimizer) {
          expect(model.optimizer.isFused).toBe(true);
        } else {
          expect((model.optimizer as unknown as {mode: string}).mode).toBe('fused');
        }
        const before = await optimizerValues(model.optimizer);
        const weightsBefore = modelValues(model);
        await expectNoLeaks(async () => {
          const snapshot = takeSnapshot(model, 2);
          await train(model, bad); // the step to undo
          restoreSnapshot(model, snapshot);
          disposeSnapshot(snapshot);
        });
        expectAllBitsEqual(await optimizerValues(model.optimizer), before, 'optimizer weight');
        expectAllBitsEqual(modelValues(model), weightsBefore, 'model weight');
        // The next steps: those of a run that never took the undone step (to accumulation order).
        for (const b of [b0, b1]) {
          await train(model, b);
          await train(reference, b);
        }
        expectAllRunsAgree(modelValues(model), modelValues(reference), 'model weight after');
        expectAllRunsAgree(
          await optimizerValues(model.optimizer),
          await optimizerValues(reference.optimizer),
          'optimizer weight after',
        );
        tf.dispose([b0, b1, bad].flatMap((b) => [b.x, b.y]));
        model.dispose();
        reference.dispose();
      });
    }

    it('undoes the first fused step (snapshot taken before it, while undecided)', async () => {
      const make = () => fuseOptimizer(tf.train.adam(0.05));
      const model = compiled(make);
      const reference = compiled(make);
      const [b0, bad] = [batch(8, 0), batch(8, 2)];
      const snapshot = takeSnapshot(model, 0);
      await train(model, bad);
      restoreSnapshot(model, snapshot);
      disposeSnapshot(snapshot);
      expect(model.optimizer.iterations).toBe(0);
      await train(model, b0);
      await train(reference, b0);
      expectAllRunsAgree(modelValues(model), modelValues(reference), 'model weight');
      expectAllRunsAgree(
        await optimizerValues(model.optimizer),
        await optimizerValues(reference.optimizer),
        'optimizer weight',
      );
      tf.dispose([b0, bad].flatMap((b) => [b.x, b.y]));
      model.dispose();
      reference.dispose();
    });

    it('frees every captured tensor and native handle, restored or not, and sees non-finite slots', async () => {
      const model = compiled(() => fuseOptimizer(tf.train.adam(0.05)));
      const [b0, nan] = [batch(8, 0), batch(8, 1)];
      await train(model, b0);
      await expectNoLeaks(async () => {
        for (let i = 0; i < 5; i++) {
          const snapshot = takeSnapshot(model, i);
          expect(snapshot.captured.size).toBe(1);
          if (i % 2 === 0) restoreSnapshot(model, snapshot);
          disposeSnapshot(snapshot);
          disposeSnapshot(snapshot); // twice: nothing more to free
        }
      });
      // A NaN gradient puts NaN into the fused slots: a snapshot of that state is not finite.
      const x = nan.x.mul(Number.NaN);
      await model.trainOnBatch(x, nan.y);
      const bad = takeSnapshot(model, 2);
      expect(await isSnapshotFinite(bad)).toBe(false);
      disposeSnapshot(bad);
      tf.dispose([b0.x, b0.y, nan.x, nan.y, x]);
      model.dispose();
    });
  });

  describe('precisionFallback on a batch with non-finite data (fused Adam)', () => {
    it('undoes the step: no NaN in the fused slots, and the run matches one that skipped the batch', async () => {
      // 12 rows, batch 4, no shuffle: row 5 (a NaN feature) is in batch 1 of every epoch, so
      // steps 1, 4 and 7 have a NaN loss. The reference run trains on batches 0 and 2 only.
      const make = (): tf.Sequential => {
        const model = tinyModel();
        applyPolicy(model, 'mixed_float16', {keepFloat32: ['out']});
        model.compile({optimizer: fuseOptimizer(tf.train.adam(0.01)), loss: 'meanSquaredError'});
        return model;
      };
      const model = make();
      const reference = make();
      const bad = regressionData(12, 4, [5]);
      const clean = regressionData(12, 4);
      const keep = [0, 1, 2, 3, 8, 9, 10, 11];
      const warm = {x: tf.tensor2d(clean.x.subarray(0, 16), [4, 4]), y: tf.zeros([4, 1])};
      // One clean step first, so the fused resource variables exist before counting handles.
      for (const m of [model, reference]) await m.fit(warm.x, warm.y, {epochs: 1, verbose: 0});
      expect((model.optimizer as unknown as {mode: string}).mode).toBe('fused');
      const fallback = precisionFallback({log: null});
      await expectNoLeaks(async () => {
        const x = tf.tensor2d(bad.x, [12, 4]);
        const y = tf.tensor2d(bad.y, [12, 1]);
        await model.fit(x, y, {epochs: 3, batchSize: 4, shuffle: false, callbacks: [fallback]});
        tf.dispose([x, y]);
      });
      const rx = tf.tensor2d(
        keep.flatMap((r) => Array.from(clean.x.subarray(r * 4, r * 4 + 4))),
        [8, 4],
      );
      const ry = tf.tensor2d(
        keep.map((r) => clean.y[r]!),
        [8, 1],
      );
      await reference.fit(rx, ry, {epochs: 3, batchSize: 4, shuffle: false, verbose: 0});
      expect(fallback.switches).toEqual([]);
      expect(fallback.badData.map((e) => [e.step, e.cause, e.restoredFromStep])).toEqual([
        [1, 'non-finite-input', 1],
        [4, 'non-finite-input', 4],
        [7, 'non-finite-input', 7],
      ]);
      const slots = await optimizerValues(model.optimizer);
      expect(slots.every((v) => v.every(Number.isFinite))).toBe(true);
      expectAllRunsAgree(slots, await optimizerValues(reference.optimizer), 'optimizer weight');
      expectAllRunsAgree(modelValues(model), modelValues(reference), 'model weight');
      tf.dispose([rx, ry, warm.x, warm.y]);
      for (const m of [model, reference]) {
        removePolicy(m);
        m.dispose();
      }
    });
  });
});
