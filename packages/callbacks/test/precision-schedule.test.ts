import * as tf from '@tensorflow/tfjs';
import {LossScaleOptimizer} from '@tfjs-amp/loss-scale';
import {
  applyPolicy,
  POLICY_NAMES,
  policyOf,
  readPolicyRecord,
  removePolicy,
} from '@tfjs-amp/policy';
import {describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {combineCallbacks} from '../src/combine-callbacks.js';
import {precisionFallback} from '../src/precision-fallback.js';
import {numericsMonitor} from '../src/numerics-monitor.js';
import {precisionSchedule} from '../src/precision-schedule.js';
import {regressionData, tinyModel} from './support.js';
import {gradientOverflowModel} from './models.js';

const code = (name: (typeof POLICY_NAMES)[number]) => POLICY_NAMES.indexOf(name);

/** Records, at the start of every step (after the callbacks before it), the layer's policy. */
function policyProbe(layer: tf.layers.Layer, into: string[]): tf.CustomCallback {
  return new tf.CustomCallback({
    onBatchBegin: async () => void into.push(policyOf(layer)?.name ?? 'none'),
  });
}

/** One clean step, so the optimizer makes its slots (optimizer state, not a leak) before a leak check. */
async function warmUp(model: tf.LayersModel): Promise<void> {
  const x = tf.ones([4, 4]);
  const y = tf.zeros([4, 1]);
  await model.fit(x, y, {epochs: 1, verbose: 0});
  tf.dispose([x, y]);
}

/** Every value of the model's weights and its optimizer's weights (copied). */
async function stateValues(model: tf.LayersModel): Promise<Float32Array[]> {
  const named = await model.optimizer.getWeights();
  const values = [
    ...model.getWeights().map((w) => (w.dataSync() as Float32Array).slice()),
    ...named.map((n) => (n.tensor.dataSync() as Float32Array).slice()),
  ];
  tf.dispose(named.map((n) => n.tensor).filter((t) => !(t instanceof tf.Variable)));
  return values;
}

/** fit on 16 rows in batches of 4 (4 steps), no shuffling, checking for leaks. */
async function fit16(model: tf.LayersModel, callbacks: tf.Callback[]): Promise<void> {
  const data = regressionData(16, 4);
  await expectNoLeaks(async () => {
    const x = tf.tensor2d(data.x, [16, 4]);
    const y = tf.tensor2d(data.y, [16, 1]);
    await model.fit(x, y, {epochs: 1, batchSize: 4, shuffle: false, callbacks});
    tf.dispose([x, y]);
  });
}

describeBackends(['wasm', 'cpu'], () => {
  describe('precisionSchedule in fit', () => {
    it('switches by epoch at the exact steps, keeping overrides and keepFloat32, and records each switch', async () => {
      // 12 rows, batch 4: 3 steps per epoch. The model starts under mixed_float16; entry 0
      // applies at step 0 (epoch 0), entry 1 at epoch 2 (step 6), entry 2 at epoch 3 (step 9).
      const model = tinyModel();
      applyPolicy(model, 'mixed_float16', {overrides: {out: 'float32'}, keepFloat32: ['softmax']});
      model.compile({
        optimizer: new LossScaleOptimizer(tf.train.adam(0.01)),
        loss: 'meanSquaredError',
      });
      await warmUp(model);
      const messages: string[] = [];
      const schedule = precisionSchedule(
        [
          {epoch: 0, policy: 'mixed_bfloat16'},
          {epoch: 2, policy: 'float32'},
          {epoch: 3, policy: 'mixed_float16'},
        ],
        {log: (m) => messages.push(m)},
      );
      const seen: string[] = [];
      const data = regressionData(12, 4);
      const history = await expectNoLeaks(async () => {
        const x = tf.tensor2d(data.x, [12, 4]);
        const y = tf.tensor2d(data.y, [12, 1]);
        const h = await model.fit(x, y, {
          epochs: 4,
          batchSize: 4,
          shuffle: false,
          callbacks: combineCallbacks([schedule, policyProbe(model.getLayer('hidden'), seen)]),
        });
        tf.dispose([x, y]);
        return h;
      });
      expect(seen).toEqual([
        ...Array(6).fill('mixed_bfloat16'),
        ...Array(3).fill('float32'),
        ...Array(3).fill('mixed_float16'),
      ]);
      expect(
        schedule.switches.map((s) => [s.epoch, s.batch, s.step, s.from, s.to, s.source]),
      ).toEqual([
        [0, 0, 0, 'mixed_float16', 'mixed_bfloat16', 'schedule'],
        [2, 0, 6, 'mixed_bfloat16', 'float32', 'schedule'],
        [3, 0, 9, 'float32', 'mixed_float16', 'schedule'],
      ]);
      expect(messages[1]).toBe(
        'precisionSchedule: epoch 2, batch 0 (step 6): switched from mixed_bfloat16 to float32 ' +
          '(schedule[1]: float32 from epoch 2).',
      );
      expect(history.history.precision_policy).toEqual([
        code('mixed_bfloat16'),
        code('mixed_bfloat16'),
        code('float32'),
        code('mixed_float16'),
      ]);
      expect(history.history.precision_switches).toEqual([1, 0, 1, 1]);
      expect(readPolicyRecord(model)).toEqual({
        name: 'mixed_float16',
        overrides: {out: 'float32'},
        keepFloat32: ['softmax'],
      });
      expect(policyOf(model.getLayer('out'))?.name).toBe('float32');
      expect(schedule.policy).toBe('mixed_float16');
      removePolicy(model);
      model.dispose();
    });

    it('leaves the float32 master weights, Adam slots and loss-scale state bit-identical across a switch', async () => {
      // Switch at step 2 (by step). Probes after the schedule: at the end of step 1 and at the
      // start of step 2 (after the switch) the state must be the same bits.
      const model = tinyModel();
      applyPolicy(model, 'mixed_float16');
      const optimizer = new LossScaleOptimizer(tf.train.adam(0.01));
      model.compile({optimizer, loss: 'meanSquaredError'});
      await warmUp(model);
      const schedule = precisionSchedule([{step: 2, policy: 'mixed_bfloat16'}], {log: null});
      let step = 0;
      let before: Float32Array[] = [];
      let after: Float32Array[] = [];
      let scaleBefore = [0, 0];
      let scaleAfter = [0, 0];
      const probe = new tf.CustomCallback({
        onBatchBegin: async () => {
          if (step === 2) {
            after = await stateValues(model);
            scaleAfter = [optimizer.lossScale, optimizer.skippedSteps];
          }
        },
        onBatchEnd: async () => {
          if (step === 1) {
            before = await stateValues(model);
            scaleBefore = [optimizer.lossScale, optimizer.skippedSteps];
          }
          step++;
        },
      });
      const data = regressionData(16, 4);
      await expectNoLeaks(async () => {
        const x = tf.tensor2d(data.x, [16, 4]);
        const y = tf.tensor2d(data.y, [16, 1]);
        await model.fit(x, y, {
          epochs: 1,
          batchSize: 4,
          shuffle: false,
          callbacks: combineCallbacks([schedule, probe]),
        });
        tf.dispose([x, y]);
      });
      expect(schedule.switches.map((s) => [s.step, s.to])).toEqual([[2, 'mixed_bfloat16']]);
      expect(before.length).toBeGreaterThan(model.getWeights().length); // slots included
      expect(after.length).toBe(before.length);
      for (const [i, v] of before.entries()) expectBitsEqual(after[i]!, v, `state ${i}`);
      expect(scaleAfter).toEqual(scaleBefore);
      removePolicy(model);
      model.dispose();
    });
  });

  describe('precisionSchedule in fitDataset', () => {
    it('switches by step at the exact steps', async () => {
      const model = tinyModel();
      applyPolicy(model, 'mixed_float16');
      model.compile({optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError'});
      const schedule = precisionSchedule(
        [
          {step: 2, policy: 'mixed_bfloat16'},
          {step: 5, policy: 'float32'},
        ],
        {log: null},
      );
      const seen: string[] = [];
      await expectNoLeaks(async () => {
        const ds = tf.data
          .zip({
            xs: tf.data.array(Array(8).fill([1, 2, 3, 4])),
            ys: tf.data.array(Array(8).fill([1])),
          })
          .batch(2)
          .repeat();
        await model.fitDataset(ds, {
          epochs: 2,
          batchesPerEpoch: 4,
          callbacks: combineCallbacks([schedule, policyProbe(model.getLayer('hidden'), seen)]),
        });
      });
      expect(seen).toEqual([
        'mixed_float16',
        'mixed_float16',
        'mixed_bfloat16',
        'mixed_bfloat16',
        'mixed_bfloat16',
        'float32',
        'float32',
        'float32',
      ]);
      expect(schedule.switches.map((s) => [s.epoch, s.batch, s.step, s.to])).toEqual([
        [0, 2, 2, 'mixed_bfloat16'],
        [1, 1, 5, 'float32'],
      ]);
      expect(readPolicyRecord(model)?.name).toBe('float32');
      removePolicy(model);
      model.dispose();
    });
  });

  describe('precisionSchedule with numericsMonitor', () => {
    it('switches before the sampled batch is probed when listed first, so the sample sees the new policy', async () => {
      const model = tinyModel();
      applyPolicy(model, 'mixed_float16');
      model.compile({optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError'});
      const schedule = precisionSchedule([{step: 2, policy: 'mixed_bfloat16'}], {log: null});
      const numerics = numericsMonitor({every: 2, log: null});
      await fit16(model, [schedule, numerics]);
      expect(numerics.samples.map((s) => s.step)).toEqual([0, 2]);
      const [at0, at2] = numerics.samples;
      for (const layer of at0!.layers) expect(layer.format).toBe('float16');
      for (const layer of at2!.layers) {
        expect(layer.format).toBe('bfloat16');
        expect(layer.activation).not.toBeNull();
        expect(layer.gradient).not.toBeNull();
      }
      removePolicy(model);
      model.dispose();
    });
  });

  describe('precisionSchedule with precisionFallback', () => {
    it('lets the fallback win: a policy it left is not entered again', async () => {
      // As in the fallback's fitDataset test: under mixed_float16 every step overflows; with
      // after = 2 the fallback switches to mixed_bfloat16 after step 4. The schedule's step-6
      // entry (mixed_float16) is refused; its step-7 entry (float32) applies.
      const model = gradientOverflowModel();
      applyPolicy(model, 'mixed_float16');
      const optimizer = new LossScaleOptimizer(tf.train.sgd(0), {initialScale: 8});
      model.compile({optimizer, loss: 'meanSquaredError'});
      const fallback = precisionFallback({after: 2, log: null});
      const messages: string[] = [];
      const schedule = precisionSchedule(
        [
          {step: 6, policy: 'mixed_float16'},
          {step: 7, policy: 'float32'},
        ],
        {log: (m) => messages.push(m)},
      );
      const seen: string[] = [];
      await expectNoLeaks(async () => {
        const ds = tf.data
          .zip({
            xs: tf.data.array(Array(24).fill([1, 1, 1, 1])),
            ys: tf.data.array(Array(24).fill([0])),
          })
          .batch(4)
          .repeat();
        await model.fitDataset(ds, {
          epochs: 3,
          batchesPerEpoch: 3,
          callbacks: combineCallbacks([
            fallback,
            schedule,
            policyProbe(model.getLayer('small'), seen),
          ]),
        });
      });
      expect(fallback.switches.map((s) => [s.step, s.from, s.to])).toEqual([
        [4, 'mixed_float16', 'mixed_bfloat16'],
      ]);
      expect(schedule.switches.map((s) => [s.step, s.from, s.to])).toEqual([
        [7, 'mixed_bfloat16', 'float32'],
      ]);
      expect(seen).toEqual([
        ...Array(5).fill('mixed_float16'),
        'mixed_bfloat16',
        'mixed_bfloat16',
        'float32',
        'float32',
      ]);
      expect(messages[0]).toBe(
        'precisionSchedule: epoch 2, batch 0 (step 6): not switching to mixed_float16 ' +
          '(schedule[0]: mixed_float16 from step 6): precisionFallback left mixed_float16 after ' +
          'step 4 (overflow-at-min-scale); staying on mixed_bfloat16. precisionFallback wins for ' +
          'the rest of this fit.',
      );
      removePolicy(model);
      model.dispose();
    });
  });
});

describe('precisionSchedule arguments', () => {
  it('rejects unknown policies, unsorted, overlapping and mixed entries, naming the fix', () => {
    expect(() => precisionSchedule([{epoch: 0, policy: 'mixed_float61' as 'float32'}])).toThrow(
      "precisionSchedule: unknown policy in schedule[0] 'mixed_float61'. Allowed: bfloat16, float16, float32, mixed_bfloat16, mixed_float16, mixed_float8_e4m3fn, mixed_float8_e5m2, mixed_tf32.",
    );
    expect(() =>
      precisionSchedule([
        {epoch: 4, policy: 'float32'},
        {epoch: 2, policy: 'mixed_bfloat16'},
      ]),
    ).toThrow(
      new RangeError(
        'precisionSchedule: schedule[1].epoch must be greater than schedule[0].epoch (4); got 2. Sort the entries by epoch.',
      ),
    );
    expect(() =>
      precisionSchedule([
        {step: 10, policy: 'float32'},
        {step: 10, policy: 'mixed_bfloat16'},
      ]),
    ).toThrow(
      new RangeError(
        'precisionSchedule: schedule[0] and schedule[1] both start at step 10 (float32 and mixed_bfloat16); entries must not overlap. Keep one.',
      ),
    );
    expect(() =>
      precisionSchedule([
        {epoch: 0, policy: 'float32'},
        {step: 10, policy: 'mixed_bfloat16'},
      ]),
    ).toThrow(
      new TypeError(
        'precisionSchedule: schedule[1] is by step but schedule[0] is by epoch; a schedule is either by epoch or by step. Convert the entries to one unit.',
      ),
    );
    expect(() =>
      precisionSchedule([
        {epoch: 0, step: 0, policy: 'float32'} as unknown as {epoch: number; policy: 'float32'},
      ]),
    ).toThrow(
      "precisionSchedule: schedule[0] must have exactly one of epoch and step; got both. Example: {epoch: 8, policy: 'float32'}.",
    );
    expect(() => precisionSchedule([{epoch: -1, policy: 'float32'}])).toThrow(
      new RangeError(
        'precisionSchedule: schedule[0].epoch must be a non-negative integer; got -1.',
      ),
    );
    expect(() => precisionSchedule([])).toThrow(
      "precisionSchedule: schedule must be a non-empty array of {epoch, policy} or {step, policy} entries; got Array. Example: [{epoch: 0, policy: 'mixed_bfloat16'}, {epoch: 8, policy: 'float32'}].",
    );
    expect(() => precisionSchedule([{epoch: 0, policy: 'float32'}], {logs: null} as never)).toThrow(
      "precisionSchedule: unknown option 'logs'. Allowed: model, log.",
    );
  });
});
