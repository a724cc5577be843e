import * as tf from '@tensorflow/tfjs';
import {registerAmpKernels} from '@tfjs-amp/kernels';
import {setupBackend} from './backends.js';
import {machineInfo} from './measure/machine.js';
import {
  DEFAULT_BATCH_SIZE,
  type ResolvedSuiteOptions,
  type SuiteOptions,
  resolveSuiteOptions,
} from './options.js';
import {findings} from './report/findings.js';
import {
  REPORT_SCHEMA_VERSION,
  type RunReport,
  type SuiteReport,
  type WorkloadReport,
} from './suite-report.js';
import {type ProgressEvent, trainGroup} from './train/train-group.js';
import {type RunVariant, makeVariant} from './variants.js';
import {resolveWorkload} from './workloads/index.js';
import type {Workload} from './workloads/workload.js';

/** Hooks of {@link runSuite}. */
export interface RunSuiteHooks {
  /** Called on every step, evaluation and finished configuration (keep it cheap). */
  onProgress?: (event: ProgressEvent) => void;
}

/** The configurations of the default scenario: each policy, plus the no-loss-scaling ablation. */
function defaultVariants(o: ResolvedSuiteOptions, withAblation: boolean): RunVariant[] {
  const variants = o.policies.map((p) => makeVariant(p));
  if (withAblation) {
    if (!o.policies.includes('mixed_float16')) variants.push(makeVariant('mixed_float16'));
    variants.push(makeVariant('mixed_float16', 'none'));
  }
  return variants;
}

/** The small-gradients scenario: float32 against mixed_float16 with and without loss scaling. */
function smallGradientVariants(): RunVariant[] {
  return [
    makeVariant('float32'),
    makeVariant('mixed_float16'),
    makeVariant('mixed_float16', 'none'),
  ];
}

/** Accuracy of always predicting the most common held-out class. */
function chanceAccuracy(labels: Int32Array, classes: number): number {
  const counts = new Array<number>(Math.max(classes, 1)).fill(0);
  for (const label of labels) counts[label] = (counts[label] ?? 0) + 1;
  return labels.length === 0 ? 0 : Math.max(...counts) / labels.length;
}

async function runWorkload(
  workload: Workload,
  index: number,
  o: ResolvedSuiteOptions,
  onProgress: (event: ProgressEvent) => void,
): Promise<{report: WorkloadReport; runs: RunReport[]}> {
  const data = await workload.loadData({
    trainSize: o.trainSize,
    testSize: o.testSize,
    seed: o.seed,
  });
  let initialWeights: tf.Tensor[] = [];
  try {
    const testLabels = tf.tidy(() => tf.argMax(data.yTest, -1).dataSync() as Int32Array);
    const probe = await workload.buildModel(o.seed);
    initialWeights = probe.getWeights().map((w) => w.clone());
    const parameters = probe.countParams();
    probe.dispose();
    const nTrain = data.xTrain.shape[0]!;
    const batchSize = o.batchSize ?? workload.batchSize ?? DEFAULT_BATCH_SIZE;
    const fullBatches = Math.floor(nTrain / batchSize);
    const stepsPerEpoch = Math.min(o.stepsPerEpoch ?? fullBatches, fullBatches);
    if (stepsPerEpoch < 1) {
      throw new RangeError(
        `tfjs-amp-bench: workload '${workload.name}' has ${nTrain} training examples, fewer than ` +
          `one batch (${batchSize}); lower --batch or raise --train.`,
      );
    }
    const common = {
      workload,
      data,
      testLabels,
      initialWeights,
      epochs: o.epochs,
      stepsPerEpoch,
      batchSize,
      seed: o.seed,
      warmupSteps: o.warmupSteps,
      chunkSteps: o.chunkSteps,
    };
    const withAblation = o.ablation && index === 0;
    const runs = await trainGroup(
      {
        ...common,
        scenario: 'default',
        lossMultiplier: 1,
        variants: defaultVariants(o, withAblation),
      },
      onProgress,
    );
    if (withAblation) {
      runs.push(
        ...(await trainGroup(
          {
            ...common,
            scenario: 'small-gradients',
            lossMultiplier: o.smallGradientScale,
            variants: smallGradientVariants(),
          },
          onProgress,
        )),
      );
    }
    const report: WorkloadReport = {
      name: workload.name,
      description: workload.description,
      dataDescription: workload.dataDescription,
      parameters,
      trainExamples: nTrain,
      testExamples: data.xTest.shape[0]!,
      stepsPerEpoch,
      batchSize,
      chanceAccuracy: chanceAccuracy(testLabels, data.yTest.shape[1] ?? 1),
    };
    return {report, runs};
  } finally {
    tf.dispose([data.xTrain, data.yTrain, data.xTest, data.yTest, ...initialWeights]);
  }
}

/**
 * Trains every workload under float32 and each policy on the chosen backend, and measures, per
 * (workload, configuration): median and spread of the step time after warm-up, examples per
 * second and the ratio to float32 from the same run, tensor memory (state and step peak) and
 * process RSS, final training loss, held-out accuracy after the same epochs, skipped steps and
 * final loss scale, and whether the layers ran emulated or native. With `ablation`, the first
 * workload also runs `mixed_float16` without loss scaling, at normal settings and with gradients
 * pushed below float16's range.
 *
 * Every configuration starts from the same initial weights and sees the same batches in the same
 * order; configurations of a workload train in turns of `chunkSteps` steps, so the machine's
 * slow and fast phases are shared. Leaves no tensor behind.
 * @throws TypeError / RangeError for bad options (before anything runs);
 *   BackendUnavailableError when the backend cannot start here.
 * @example
 * const report = await runSuite({workloads: ['mlp'], epochs: 1});
 * console.log(formatTable(report));
 */
export async function runSuite(
  options: SuiteOptions = {},
  hooks: RunSuiteHooks = {},
): Promise<SuiteReport> {
  const o = resolveSuiteOptions(options);
  const onProgress = hooks.onProgress ?? (() => {});
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const createdAt = new Date().toISOString();
  await setupBackend(o.backend);
  registerAmpKernels();
  const workloads: Workload[] = [];
  for (const spec of o.workloads) workloads.push(await resolveWorkload(spec));
  const workloadReports: WorkloadReport[] = [];
  const runs: RunReport[] = [];
  for (const [index, workload] of workloads.entries()) {
    onProgress({kind: 'workload', workload: workload.name, index, total: workloads.length});
    const result = await runWorkload(workload, index, o, onProgress);
    workloadReports.push(result.report);
    runs.push(...result.runs);
  }
  const machine = machineInfo();
  const {parity, notes} = findings(runs, o, workloadReports, machine);
  const cpu = process.cpuUsage(cpuStart);
  return {
    tool: '@tfjs-amp/bench',
    schemaVersion: REPORT_SCHEMA_VERSION,
    createdAt,
    durationMs: performance.now() - started,
    cpuMs: (cpu.user + cpu.system) / 1000,
    machine,
    options: {...o, workloads: workloads.map((w) => w.name)},
    workloads: workloadReports,
    runs,
    parity,
    notes,
  };
}
