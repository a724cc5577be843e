import * as tf from '@tensorflow/tfjs';
import {deriveSeed, shuffledIndices} from '../internal/prng.js';
import {type MemoryStats, type StepProfile, profileStep} from '../measure/memory.js';
import {nativeTensorBytes} from '../measure/native-memory.js';
import {samplesPerSecond, summarizeStepTimes} from '../measure/step-time.js';
import type {RunReport, ScenarioName} from '../suite-report.js';
import type {RunVariant} from '../variants.js';
import type {Workload, WorkloadData} from '../workloads/workload.js';
import {type StepEvent, VariantTrainer} from './variant-trainer.js';

/** Progress of a suite, for displays. */
export type ProgressEvent =
  | {
      readonly kind: 'workload';
      readonly workload: string;
      readonly index: number;
      readonly total: number;
    }
  | {
      readonly kind: 'step';
      readonly workload: string;
      readonly scenario: ScenarioName;
      readonly variant: string;
      readonly epoch: number;
      readonly epochs: number;
      /** Steps done by every configuration of the group together, and their total. */
      readonly groupStep: number;
      readonly groupSteps: number;
      readonly event: StepEvent;
    }
  | {readonly kind: 'evaluate'; readonly workload: string; readonly scenario: ScenarioName}
  | {readonly kind: 'run-done'; readonly run: RunReport};

/** What {@link trainGroup} needs: one workload, one scenario, its configurations. */
export interface GroupSpec {
  readonly workload: Workload;
  readonly data: WorkloadData;
  /** Held-out labels as class indices. */
  readonly testLabels: Int32Array;
  /** Initial weights every configuration starts from. */
  readonly initialWeights: readonly tf.Tensor[];
  readonly variants: readonly RunVariant[];
  readonly scenario: ScenarioName;
  readonly lossMultiplier: number;
  readonly epochs: number;
  readonly stepsPerEpoch: number;
  readonly batchSize: number;
  readonly seed: number;
  readonly warmupSteps: number;
  readonly chunkSteps: number;
}

/** Fraction of positions where two class predictions agree. */
function agreement(a: Int32Array, b: Int32Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/**
 * Trains every configuration of one workload and scenario in turns of `chunkSteps` steps on the
 * same batches (the same seeded order in every epoch), then evaluates each on the held-out set
 * and profiles one extra step for memory. The float32 configuration, if present, is the
 * baseline of the ratios. Disposes every model it built.
 */
export async function trainGroup(
  spec: GroupSpec,
  onProgress: (event: ProgressEvent) => void = () => {},
): Promise<RunReport[]> {
  const {data, batchSize, stepsPerEpoch, epochs} = spec;
  const trainers: VariantTrainer[] = [];
  const stateBytes: number[] = [];
  // Native 16-bit bytes (tensorflow backend) each configuration holds, null where not reported.
  const nativeBytes: (number | null)[] = [];
  try {
    for (const variant of spec.variants) {
      const before = tf.memory().numBytes;
      const nativeBefore = nativeTensorBytes();
      trainers.push(
        await VariantTrainer.create(
          spec.workload,
          spec.initialWeights,
          variant,
          spec.lossMultiplier,
          spec.seed,
        ),
      );
      stateBytes.push(tf.memory().numBytes - before);
      const nativeAfter = nativeTensorBytes();
      nativeBytes.push(
        nativeBefore == null || nativeAfter == null ? null : nativeAfter - nativeBefore,
      );
    }
    const groupSteps = epochs * stepsPerEpoch * trainers.length;
    let groupStep = 0;
    const firstChunkDone = new Set<number>();
    const epochLoss: number[][] = trainers.map(() => []);
    const nTrain = data.xTrain.shape[0]!;
    let turn = 0;
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = shuffledIndices(nTrain, deriveSeed(spec.seed, 1000 + epoch)).subarray(
        0,
        stepsPerEpoch * batchSize,
      );
      const [xEpoch, yEpoch] = tf.tidy(() => {
        const idx = tf.tensor1d(order, 'int32');
        return [tf.gather(data.xTrain, idx), tf.gather(data.yTrain, idx)];
      });
      const firstStepOfEpoch = trainers.map((t) => t.losses.length);
      try {
        for (let chunk = 0; chunk < stepsPerEpoch; chunk += spec.chunkSteps) {
          const steps = Math.min(spec.chunkSteps, stepsPerEpoch - chunk);
          const [xs, ys] = tf.tidy(() => [
            xEpoch.slice(chunk * batchSize, steps * batchSize),
            yEpoch.slice(chunk * batchSize, steps * batchSize),
          ]);
          try {
            // Rotate who goes first, so no configuration always follows the same one.
            for (let k = 0; k < trainers.length; k++) {
              const i = (k + turn) % trainers.length;
              const trainer = trainers[i]!;
              const before = tf.memory().numBytes;
              const nativeBefore = firstChunkDone.has(i) ? null : nativeTensorBytes();
              await trainer.trainChunk(xs!, ys!, batchSize, (event) => {
                groupStep++;
                onProgress({
                  kind: 'step',
                  workload: spec.workload.name,
                  scenario: spec.scenario,
                  variant: trainer.variant.label,
                  epoch,
                  epochs,
                  groupStep,
                  groupSteps,
                  event,
                });
              });
              if (!firstChunkDone.has(i)) {
                // Optimizer slots and loss-scale variables appear at the first step.
                stateBytes[i]! += tf.memory().numBytes - before;
                const nativeAfter = nativeTensorBytes();
                nativeBytes[i] =
                  nativeBytes[i] == null || nativeBefore == null || nativeAfter == null
                    ? null
                    : nativeBytes[i]! + nativeAfter - nativeBefore;
                firstChunkDone.add(i);
              }
            }
            turn++;
          } finally {
            tf.dispose([xs!, ys!]);
          }
        }
      } finally {
        tf.dispose([xEpoch, yEpoch]);
      }
      trainers.forEach((t, i) => {
        epochLoss[i]!.push(mean(t.losses.slice(firstStepOfEpoch[i]!)));
      });
    }

    onProgress({kind: 'evaluate', workload: spec.workload.name, scenario: spec.scenario});
    const evaluations = trainers.map((t) => t.evaluate(data.xTest, spec.testLabels));
    const profiles: StepProfile[] = [];
    for (const t of trainers) {
      t.stopRecording();
      const [xb, yb] = tf.tidy(() => [
        data.xTrain.slice(0, batchSize),
        data.yTrain.slice(0, batchSize),
      ]);
      try {
        profiles.push(await profileStep(() => t.model.trainOnBatch(xb!, yb!)));
      } finally {
        tf.dispose([xb!, yb!]);
      }
    }

    const baseline = trainers.findIndex(
      (t) => t.variant.policy === 'float32' && t.variant.lossScaling === 'none',
    );
    const stats = trainers.map((t) => summarizeStepTimes(t.stepMs, spec.warmupSteps));
    const reports = trainers.map((t, i): RunReport => {
      const profile = profiles[i]!;
      const memory: MemoryStats = {
        stateBytes: stateBytes[i]!,
        stepPeakBytes: profile.stepPeakBytes,
        peakBytes: stateBytes[i]! + profile.stepPeakBytes,
        rssPeakBytes: t.rss.peakBytes,
        nativeBytes: nativeBytes[i] ?? null,
        nativeStepPeakBytes: profile.nativePeakBytes,
        tensorStepPeakBytes: profile.tensorPeakBytes,
        castKernelsPerStep: profile.kernelCounts.AmpQuantize ?? 0,
        kernelsPerStep: profile.kernels,
      };
      const lso = t.lossScaleOptimizer;
      const isBaseline = i === baseline;
      const evaluation = evaluations[i]!;
      const lastEpoch = epochLoss[i]![epochLoss[i]!.length - 1]!;
      return {
        workload: spec.workload.name,
        scenario: spec.scenario,
        variant: t.variant.id,
        label: t.variant.label,
        policy: t.variant.policy,
        lossScaling: t.variant.lossScaling,
        lossMultiplier: spec.lossMultiplier,
        steps: t.stepMs.length,
        stepTime: stats[i]!,
        samplesPerSec: samplesPerSecond(stats[i]!, batchSize),
        stepTimeRatio:
          baseline < 0 || isBaseline ? null : stats[i]!.medianMs / stats[baseline]!.medianMs,
        memory,
        finalTrainLoss: lastEpoch,
        testLoss: evaluation.loss,
        testAccuracy: evaluation.accuracy,
        accuracyDeltaPp:
          baseline < 0 || isBaseline
            ? null
            : (evaluation.accuracy - evaluations[baseline]!.accuracy) * 100,
        agreementWithFloat32:
          baseline < 0 || isBaseline
            ? null
            : agreement(evaluation.predictions, evaluations[baseline]!.predictions),
        diverged: t.losses.some((l) => !Number.isFinite(l)),
        lossScale:
          lso == null
            ? null
            : {
                initial: t.lossScales[0] ?? lso.lossScale,
                final: t.scaleAfterLastStep ?? lso.lossScale,
                skippedSteps: t.skippedAt.length,
              },
        execution: t.execution(),
        curves: {
          loss: t.losses,
          lossScale: t.lossScales,
          skippedAt: t.skippedAt,
          epochLoss: epochLoss[i]!,
        },
      };
    });
    for (const run of reports) onProgress({kind: 'run-done', run});
    return reports;
  } finally {
    for (const t of trainers) t.dispose();
  }
}
