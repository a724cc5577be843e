import * as tf from '@tensorflow/tfjs';
import {LossScaleOptimizer} from '@tfjs-amp/loss-scale';
import {applyPolicy} from '@tfjs-amp/policy';
import {describeBackends, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {ampProgress} from '../src/amp-progress.js';
import {combineCallbacks} from '../src/combine-callbacks.js';
import {lossScaleMonitor} from '../src/loss-scale-monitor.js';
import {numericsMonitor} from '../src/numerics-monitor.js';
import {precisionFallback} from '../src/precision-fallback.js';
import {precisionRule} from '../src/precision-rule.js';
import {terminateOnNaN} from '../src/terminate-on-nan.js';
import {regressionData, tinyModel} from './support.js';

/** LossScaleOptimizer's state getters: in 'device' mode each blocks on a read from the device. */
const BLOCKING_GETTERS = [
  'lossScale',
  'skippedSteps',
  'lastStepSkipped',
  'goodSteps',
  'overflowCount',
  'hysteresisLeft',
] as const;

/** Records every call of `optimizer`'s blocking getters (own properties over the prototype's). */
function spyOnGetters(optimizer: LossScaleOptimizer): string[] {
  const calls: string[] = [];
  for (const name of BLOCKING_GETTERS) {
    let proto: object | null = Object.getPrototypeOf(optimizer);
    let descriptor: PropertyDescriptor | undefined;
    while (proto != null && descriptor == null) {
      descriptor = Object.getOwnPropertyDescriptor(proto, name);
      proto = Object.getPrototypeOf(proto);
    }
    const get = descriptor!.get!;
    Object.defineProperty(optimizer, name, {
      configurable: true,
      get() {
        calls.push(name);
        return get.call(this);
      },
    });
  }
  return calls;
}

type ExtraCallbacks = 'monitorAndProgress' | 'all';

interface Run {
  monitor: ReturnType<ReturnType<typeof lossScaleMonitor>['toJSON']>;
  batchLogs: Array<Record<string, number>>;
  history: Record<string, unknown[]>;
  progress: string[];
  getterCalls: string[];
  dataSyncCalls: number;
  skippedSteps: number;
}

/**
 * tinyModel under mixed_float16 with a scale too large for its float16 gradients (2^18): the
 * first steps overflow and are skipped, each halving the scale, until the gradients fit at 2^15;
 * with growthInterval 2 the scale then grows to 2^16, which overflows again. Row 13 holds a NaN,
 * so the batch holding it (batch 3 of every epoch) overflows at any scale. 3 epochs of 6 batches.
 */
async function run(
  mode: 'sync' | 'device',
  callbacks: ExtraCallbacks | 'none',
  nanRows: readonly number[] = [13],
): Promise<Run> {
  const model = tinyModel();
  applyPolicy(model, 'mixed_float16');
  const optimizer = new LossScaleOptimizer(tf.train.sgd(0.01), {
    mode,
    initialScale: 2 ** 18,
    maxScale: 2 ** 18,
    growthInterval: 2,
  });
  expect(optimizer.stepMode).toBe(mode);
  model.compile({optimizer, loss: 'meanSquaredError'});
  const getterCalls = spyOnGetters(optimizer);
  const data = regressionData(24, 4, nanRows);
  const monitor = lossScaleMonitor({log: null, minScaleWarnSteps: 2});
  const progress: string[] = [];
  const batchLogs: Array<Record<string, number>> = [];
  const list: Array<tf.CustomCallbackArgs | tf.Callback> = [];
  if (callbacks !== 'none') {
    if (callbacks === 'all') {
      list.push(numericsMonitor({every: 1, log: null}), terminateOnNaN({log: () => {}}));
    }
    list.push(
      monitor,
      ampProgress({
        stream: {isTTY: false, write: (c: string) => void progress.push(c)},
        lineEvery: 1,
        now: () => 0,
      }),
    );
    if (callbacks === 'all') {
      list.push(
        precisionRule(() => null, {every: 'step', log: null}),
        precisionFallback({log: null}),
      );
    }
    list.push({
      onBatchEnd: async (_b: number, logs?: tf.Logs) =>
        void batchLogs.push({loss_scale: logs!.loss_scale!, skipped_steps: logs!.skipped_steps!}),
    });
  }
  const dataSync = tf.Tensor.prototype.dataSync;
  let dataSyncCalls = 0;
  tf.Tensor.prototype.dataSync = function (this: tf.Tensor) {
    dataSyncCalls++;
    return dataSync.call(this);
  } as typeof dataSync;
  let history: tf.History;
  try {
    history = await expectNoLeaks(async () => {
      const x = tf.tensor2d(data.x, [24, 4]);
      const y = tf.tensor2d(data.y, [24, 1]);
      const h = await model.fit(x, y, {
        epochs: 3,
        batchSize: 4,
        shuffle: false,
        verbose: 0,
        callbacks: list.length > 0 ? combineCallbacks(list) : undefined,
      });
      tf.dispose([x, y]);
      return h;
    });
  } finally {
    tf.Tensor.prototype.dataSync = dataSync;
  }
  const calls = [...getterCalls];
  const {skippedSteps} = await optimizer.readState();
  model.dispose();
  return {
    monitor: monitor.toJSON(),
    batchLogs,
    history: history.history as Record<string, unknown[]>,
    progress,
    getterCalls: calls,
    dataSyncCalls,
    skippedSteps,
  };
}

describeBackends(['cpu'], () => {
  describe("callbacks with a LossScaleOptimizer in 'device' mode", () => {
    it('lossScaleMonitor and ampProgress never call the blocking getters, and record what sync mode records', async () => {
      const device = await run('device', 'monitorAndProgress');
      const sync = await run('sync', 'monitorAndProgress');
      const bare = await run('device', 'none');

      // No getter, no blocking read: the callbacks add no dataSync to the run without them.
      expect(device.getterCalls).toEqual([]);
      expect(device.dataSyncCalls).toBe(bare.dataSyncCalls);

      // Sync mode's record: steps 0 and 1 overflow at 2^18 and 2^17, every batch 3 (steps 3, 9,
      // 15) on the NaN row, and steps 6 and 12 after growing to 2^16.
      const [s15, s16] = [2 ** 15, 2 ** 16];
      expect(sync.monitor.lossScale).toEqual([
        2 ** 18,
        2 ** 17,
        s16,
        s16,
        s15,
        s15,
        s16,
        s15,
        s15,
        s16,
        s15,
        s15,
        s16,
        s15,
        s15,
        s16,
        s15,
        s15,
      ]);
      expect(sync.monitor.overflowSteps).toEqual([0, 1, 3, 6, 9, 12, 15]);
      expect(sync.monitor.skippedPerEpoch).toEqual([3, 2, 2]);
      expect(sync.skippedSteps).toBe(7);

      // Everything recorded and logged is the same in both modes.
      expect(device.skippedSteps).toBe(sync.skippedSteps);
      expect(device.monitor).toEqual(sync.monitor);
      expect(device.batchLogs).toEqual(sync.batchLogs);
      expect(device.history.loss_scale).toEqual(sync.history.loss_scale);
      expect(device.history.skipped_steps).toEqual(sync.history.skipped_steps);
      expect(device.progress).toEqual(sync.progress);
      expect(sync.batchLogs).toHaveLength(18);
      expect(sync.progress.join('')).toContain('loss scale');
      expect(sync.progress.join('')).toContain('skipped');
    });

    it('every callback that reads the loss-scale state reads it without a blocking getter', async () => {
      // No NaN rows: the skips come from the scale alone, so terminateOnNaN and
      // precisionFallback stay quiet.
      const device = await run('device', 'all', []);
      const sync = await run('sync', 'all', []);
      const bare = await run('device', 'none', []);
      expect(device.getterCalls).toEqual([]);
      expect(device.dataSyncCalls).toBe(bare.dataSyncCalls);
      expect(sync.skippedSteps).toBeGreaterThan(1);
      expect(device.skippedSteps).toBe(sync.skippedSteps);
      expect(device.monitor).toEqual(sync.monitor);
      expect(device.batchLogs).toEqual(sync.batchLogs);
      expect(device.progress).toEqual(sync.progress);
    });
  });
});
