import * as tf from '@tensorflow/tfjs';
import {LossScaleOptimizer} from '@tfjs-amp/loss-scale';
import {
  applyPolicy,
  POLICY_NAMES,
  policyOf,
  readPolicyRecord,
  removePolicy,
} from '@tfjs-amp/policy';
import {describeBackends, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {combineCallbacks} from '../src/combine-callbacks.js';
import {lossThresholdRule} from '../src/loss-threshold-rule.js';
import {lossScaleMonitor} from '../src/loss-scale-monitor.js';
import {numericsMonitor} from '../src/numerics-monitor.js';
import {type PrecisionRuleInput, precisionRule} from '../src/precision-rule.js';
import {regressionData, tinyModel} from './support.js';

function policyProbe(layer: tf.layers.Layer, into: string[]): tf.CustomCallback {
  return new tf.CustomCallback({
    onBatchBegin: async () => void into.push(policyOf(layer)?.name ?? 'none'),
  });
}

async function warmUp(model: tf.LayersModel): Promise<void> {
  const x = tf.ones([4, 4]);
  const y = tf.zeros([4, 1]);
  await model.fit(x, y, {epochs: 1, verbose: 0});
  tf.dispose([x, y]);
}

async function fit12(
  model: tf.LayersModel,
  epochs: number,
  callbacks: tf.CustomCallback | tf.Callback[] | unknown,
) {
  const data = regressionData(12, 4);
  return expectNoLeaks(async () => {
    const x = tf.tensor2d(data.x, [12, 4]);
    const y = tf.tensor2d(data.y, [12, 1]);
    try {
      return await model.fit(x, y, {
        epochs,
        batchSize: 4,
        shuffle: false,
        callbacks: callbacks as tf.Callback[],
      });
    } finally {
      tf.dispose([x, y]);
    }
  });
}

describeBackends(['wasm', 'cpu'], () => {
  describe('precisionRule in fit', () => {
    it('applies the loss-threshold preset from the epoch after the one it judged', async () => {
      // The regression's loss is far below 1e6, so after epoch 0 the rule picks float32
      // (below); it applies from epoch 1 = step 3 (3 steps per epoch). Then it keeps picking
      // float32: no further switch.
      const model = tinyModel();
      applyPolicy(model, 'mixed_bfloat16', {keepFloat32: ['out']});
      model.compile({optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError'});
      const messages: string[] = [];
      const rule = precisionRule(lossThresholdRule({threshold: 1e6}), {
        log: (m) => messages.push(m),
      });
      const seen: string[] = [];
      const history = await fit12(
        model,
        3,
        combineCallbacks([rule, policyProbe(model.getLayer('hidden'), seen)]),
      );
      expect(seen).toEqual([...Array(3).fill('mixed_bfloat16'), ...Array(6).fill('float32')]);
      expect(rule.switches.map((s) => [s.epoch, s.batch, s.step, s.from, s.to, s.source])).toEqual([
        [1, 0, 3, 'mixed_bfloat16', 'float32', 'rule'],
      ]);
      expect(messages[0]).toMatch(
        /^precisionRule: epoch 1, batch 0 \(step 3\): switched from mixed_bfloat16 to float32 \(rule after epoch 0: loss [0-9.e-]+\)\.$/,
      );
      expect(history.history.precision_policy).toEqual([
        POLICY_NAMES.indexOf('mixed_bfloat16'),
        POLICY_NAMES.indexOf('float32'),
        POLICY_NAMES.indexOf('float32'),
      ]);
      expect(history.history.precision_switches).toEqual([0, 1, 0]);
      expect(readPolicyRecord(model)).toEqual({
        name: 'float32',
        overrides: {},
        keepFloat32: ['out'],
      });
      removePolicy(model);
      model.dispose();
    });

    it('runs every step with the logs, loss scale, skipped steps and numerics, from the next step', async () => {
      const model = tinyModel();
      applyPolicy(model, 'mixed_float16');
      const optimizer = new LossScaleOptimizer(tf.train.adam(0.01));
      model.compile({optimizer, loss: 'meanSquaredError'});
      await warmUp(model);
      const inputs: PrecisionRuleInput[] = [];
      const numerics = numericsMonitor({every: 2, log: null});
      const rule = precisionRule(
        (input) => {
          inputs.push({...input, switches: [...input.switches]});
          if (input.step === 3) return 'mixed_bfloat16';
          if (input.step === 6) return 'mixed_float16';
          return null;
        },
        {every: 'step', numerics, log: null},
      );
      const seen: string[] = [];
      await fit12(
        model,
        3,
        combineCallbacks([
          lossScaleMonitor({log: null}),
          numerics,
          rule,
          policyProbe(model.getLayer('hidden'), seen),
        ]),
      );
      expect(seen).toEqual([
        ...Array(4).fill('mixed_float16'),
        ...Array(3).fill('mixed_bfloat16'),
        ...Array(2).fill('mixed_float16'),
      ]);
      expect(rule.switches.map((s) => [s.epoch, s.batch, s.step, s.to])).toEqual([
        [1, 1, 4, 'mixed_bfloat16'],
        [2, 1, 7, 'mixed_float16'],
      ]);
      expect(inputs.map((i) => i.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
      expect(inputs.map((i) => i.policy)).toEqual(seen);
      const first = inputs[0]!;
      expect(first.lossScale).toBe(optimizer.options.initialScale);
      expect(first.skippedSteps).toBe(0);
      expect(first.loss).toBe(first.logs.loss);
      expect(Number.isFinite(first.loss)).toBe(true);
      expect(first.logs.loss_scale).toBe(first.lossScale);
      expect(first.numerics?.step).toBe(0);
      expect(inputs[3]!.numerics?.step).toBe(2);
      expect(inputs[5]!.switches.map((s) => s.step)).toEqual([4]);
      removePolicy(model);
      model.dispose();
    });

    it('rejects a rule that returns garbage, naming the value and when', async () => {
      for (const [value, message] of [
        [
          42,
          'precisionRule: the rule returned 42 after epoch 0, batch 0 (step 0); it must return a policy name (bfloat16, float16, float32, mixed_bfloat16, mixed_float16, mixed_float8_e4m3fn, mixed_float8_e5m2, mixed_tf32), or null to keep the current policy.',
        ],
        [
          'fp16',
          "precisionRule: the rule returned an unknown policy 'fp16' after epoch 0, batch 0 (step 0). Allowed: bfloat16, float16, float32, mixed_bfloat16, mixed_float16, mixed_float8_e4m3fn, mixed_float8_e5m2, mixed_tf32, or null to keep the current policy.",
        ],
      ] as const) {
        const model = tinyModel();
        model.compile({optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError'});
        const rule = precisionRule(() => value as never, {every: 'step', log: null});
        const x = tf.ones([4, 4]);
        const y = tf.zeros([4, 1]);
        await expect(model.fit(x, y, {epochs: 1, callbacks: [rule]})).rejects.toThrow(
          new TypeError(message),
        );
        tf.dispose([x, y]);
        model.dispose();
      }
    });
  });
});

describe('precisionRule arguments', () => {
  it('rejects a rule that is not a function and bad options', () => {
    expect(() => precisionRule('float32' as never)).toThrow(
      "precisionRule: rule must be a function of the logs returning a policy name or null; got 'float32'. Example: precisionRule(({loss}) => (loss < 0.1 ? 'float32' : null)).",
    );
    expect(() => precisionRule(() => null, {every: 'batch' as 'step'})).toThrow(
      "precisionRule: unknown every 'batch'. Allowed: epoch, step.",
    );
    expect(() => precisionRule(() => null, {numerics: {} as never})).toThrow(
      'precisionRule: numerics must be a numericsMonitor() or null; got object.',
    );
  });
});
