// "bf16 early, float32 late" against float32 throughout: the dynamic-precision schedule of
// @tfjs-amp/callbacks (precisionSchedule) measured on a bench workload, time and accuracy.
import * as tf from '@tensorflow/tfjs';
import {type PrecisionSwitchEvent, precisionSchedule} from '@tfjs-amp/callbacks';
import {
  applyPolicy,
  isPolicyName,
  POLICY_NAMES,
  type PolicyName,
  removePolicy,
} from '@tfjs-amp/policy';
import {setupBackend} from './backends.js';
import {checkInteger, describeValue, invalidChoice, wrongType} from './internal/errors.js';
import {describeMachine, machineInfo} from './measure/machine.js';
import {mlpWorkload} from './workloads/mlp.js';
import type {Workload} from './workloads/workload.js';

/** Options of {@link runScheduleComparison}. */
export interface ScheduleComparisonOptions {
  /** tfjs backend. Default `wasm`. */
  backend?: string;
  /** The workload. Default the built-in `mlp` (MNIST). */
  workload?: Workload;
  /** Epochs of both runs. Default 8, as the full suite. */
  epochs?: number;
  /**
   * First epoch of the `late` policy. Default `ceil(epochs / 2)`: half the epochs in each.
   * Must be in [1, epochs - 1].
   */
  switchEpoch?: number;
  /** Policy of the early epochs. Default `mixed_bfloat16`. */
  early?: PolicyName;
  /** Policy of the late epochs. Default `float32`. */
  late?: PolicyName;
  /** Examples per batch. Default the workload's own, else 64. */
  batchSize?: number;
  /** Training examples. Default 8000. */
  trainSize?: number;
  /** Held-out examples. Default 2000. */
  testSize?: number;
  /** Seed of the weights and the split. Default 0. */
  seed?: number;
}

/** Defaults of {@link ScheduleComparisonOptions} (`switchEpoch` and `batchSize` are derived). */
export const DEFAULT_SCHEDULE_COMPARISON_OPTIONS = Object.freeze({
  backend: 'wasm',
  epochs: 8,
  early: 'mixed_bfloat16' as PolicyName,
  late: 'float32' as PolicyName,
  trainSize: 8000,
  testSize: 2000,
  seed: 0,
});

/** One side of the comparison. */
export interface ScheduleSide {
  /** `float32 throughout` or `mixed_bfloat16 → float32 from epoch 4`. */
  readonly name: string;
  /** The policy each epoch computed under. */
  readonly policyByEpoch: readonly PolicyName[];
  /** Wall time of each epoch's `fit` (ms). */
  readonly epochMs: readonly number[];
  /** Sum of `epochMs`. */
  readonly totalMs: number;
  /** Training loss of the last epoch. */
  readonly trainLoss: number;
  /** Held-out accuracy after the last epoch, in [0, 1]. */
  readonly testAccuracy: number;
}

/** What {@link runScheduleComparison} measured. */
export interface ScheduleComparison {
  readonly machine: string;
  readonly workload: string;
  readonly epochs: number;
  readonly batchSize: number;
  readonly baseline: ScheduleSide;
  readonly scheduled: ScheduleSide;
  /** The schedule's switches (first step under the new policy), over all epochs. */
  readonly switches: readonly PrecisionSwitchEvent[];
}

const WHERE = 'tfjs-amp-bench --precision-schedule';

function resolve(options: ScheduleComparisonOptions) {
  if (options == null || typeof options !== 'object') {
    throw wrongType(WHERE, 'options', 'an object', describeValue(options));
  }
  const d = DEFAULT_SCHEDULE_COMPARISON_OPTIONS;
  const epochs = options.epochs ?? d.epochs;
  checkInteger(WHERE, 'epochs', epochs, 2);
  const switchEpoch = options.switchEpoch ?? Math.ceil(epochs / 2);
  checkInteger(WHERE, 'switchEpoch', switchEpoch, 1, epochs - 1);
  const early = options.early ?? d.early;
  const late = options.late ?? d.late;
  for (const [name, p] of [
    ['early', early],
    ['late', late],
  ] as const) {
    if (!isPolicyName(p)) throw invalidChoice(WHERE, `${name} policy`, p, POLICY_NAMES);
  }
  const workload = options.workload ?? mlpWorkload;
  const batchSize = options.batchSize ?? workload.batchSize ?? 64;
  checkInteger(WHERE, 'batchSize', batchSize, 1, 4096);
  const trainSize = options.trainSize ?? d.trainSize;
  const testSize = options.testSize ?? d.testSize;
  const seed = options.seed ?? d.seed;
  checkInteger(WHERE, 'trainSize', trainSize, 1);
  checkInteger(WHERE, 'testSize', testSize, 1);
  checkInteger(WHERE, 'seed', seed, 0, 0xffffffff);
  return {
    backend: options.backend ?? d.backend,
    workload,
    epochs,
    switchEpoch,
    early,
    late,
    batchSize,
    trainSize,
    testSize,
    seed,
  };
}

function accuracy(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): number {
  return tf.tidy(() => {
    const predicted = (model.predict(x) as tf.Tensor).argMax(-1);
    return predicted.equal(y.argMax(-1)).mean().dataSync()[0]!;
  });
}

/**
 * Trains the workload twice from the same initial weights on the same batches (no shuffling):
 * float32 throughout, and under `early` until `switchEpoch`, then `late`, switched by
 * `precisionSchedule` from @tfjs-amp/callbacks. The two runs take turns epoch by epoch
 * (alternating which goes first), so a slow phase of the machine hits both alike. Reports each
 * epoch's wall time, the last training loss and the held-out accuracy.
 * Low precision is emulated on the cpu and wasm backends (rounding at each layer's cast points),
 * so there the scheduled run costs more time, not less; the comparison shows what the schedule
 * does to accuracy and what it costs on the backend at hand.
 * @throws TypeError / RangeError for a bad option, naming it; BackendUnavailableError when the
 *   backend cannot start.
 * @example
 * const result = await runScheduleComparison({epochs: 4});
 * console.log(formatScheduleComparison(result));
 */
export async function runScheduleComparison(
  options: ScheduleComparisonOptions = {},
): Promise<ScheduleComparison> {
  const o = resolve(options);
  await setupBackend(o.backend);
  const data = await o.workload.loadData({
    trainSize: o.trainSize,
    testSize: o.testSize,
    seed: o.seed,
  });
  const baseline = await o.workload.buildModel(o.seed);
  const scheduledModel = await o.workload.buildModel(o.seed);
  scheduledModel.setWeights(baseline.getWeights());
  for (const m of [baseline, scheduledModel]) {
    m.compile({
      optimizer: tf.train.adam(o.workload.learningRate),
      loss: 'categoricalCrossentropy',
    });
  }
  const schedule = precisionSchedule(
    [
      {epoch: 0, policy: o.early},
      {epoch: o.switchEpoch, policy: o.late},
    ],
    {model: scheduledModel, log: null},
  );
  // The scheduled model gets its first policy from the schedule; applyPolicy here only so that
  // the schedule has a record to keep overrides and keepFloat32 from (the defaults).
  applyPolicy(scheduledModel, o.early);
  const sides = [
    {
      model: baseline,
      callbacks: [] as tf.Callback[],
      epochMs: [] as number[],
      policies: [] as PolicyName[],
      loss: Number.NaN,
    },
    {
      model: scheduledModel,
      callbacks: [schedule] as tf.Callback[],
      epochMs: [] as number[],
      policies: [] as PolicyName[],
      loss: Number.NaN,
    },
  ];
  const switches: PrecisionSwitchEvent[] = [];
  try {
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const order = epoch % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) {
        const t0 = performance.now();
        const history = await side.model.fit(data.xTrain, data.yTrain, {
          initialEpoch: epoch,
          epochs: epoch + 1,
          batchSize: o.batchSize,
          shuffle: false,
          verbose: 0,
          callbacks: side.callbacks,
        });
        side.epochMs.push(performance.now() - t0);
        side.loss = history.history.loss?.[0] as number;
        side.policies.push(side === sides[0] ? 'float32' : schedule.policy);
      }
      switches.push(...schedule.switches);
    }
    const result = (side: (typeof sides)[number], name: string): ScheduleSide => ({
      name,
      policyByEpoch: side.policies,
      epochMs: side.epochMs,
      totalMs: side.epochMs.reduce((a, b) => a + b, 0),
      trainLoss: side.loss,
      testAccuracy: accuracy(side.model, data.xTest, data.yTest),
    });
    return {
      machine: describeMachine(machineInfo()),
      workload: `${o.workload.name} · ${o.workload.description}`,
      epochs: o.epochs,
      batchSize: o.batchSize,
      baseline: result(sides[0]!, 'float32 throughout'),
      scheduled: result(sides[1]!, `${o.early} → ${o.late} from epoch ${o.switchEpoch}`),
      switches,
    };
  } finally {
    removePolicy(scheduledModel);
    // model.dispose() leaves the optimizer (Adam's moments) alone.
    baseline.optimizer.dispose();
    scheduledModel.optimizer.dispose();
    baseline.dispose();
    scheduledModel.dispose();
    tf.dispose([data.xTrain, data.yTrain, data.xTest, data.yTest]);
  }
}

/** The comparison as a small text table: time, time vs float32, loss, accuracy, Δ accuracy. */
export function formatScheduleComparison(r: ScheduleComparison): string {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const rows = [r.baseline, r.scheduled].map((s) => [
    s.name,
    `${(s.totalMs / 1000).toFixed(2)} s`,
    `${(s.totalMs / r.baseline.totalMs).toFixed(3)}×`,
    s.trainLoss.toFixed(4),
    pct(s.testAccuracy),
    s === r.baseline ? '—' : `${((s.testAccuracy - r.baseline.testAccuracy) * 100).toFixed(2)} pp`,
  ]);
  const head = ['run', 'time', 'vs float32', 'train loss', 'test acc', 'Δ acc'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  const switches = r.switches.map((s) => `${s.from} → ${s.to} before epoch ${s.epoch}`).join('; ');
  return [
    `Precision schedule vs float32: ${r.workload}, ${r.epochs} epochs, batch ${r.batchSize}`,
    r.machine,
    line(head),
    ...rows.map(line),
    `Switches: ${switches || 'none'}. Time is each run's epochs, taken in turns (lower is better).`,
  ].join('\n');
}
