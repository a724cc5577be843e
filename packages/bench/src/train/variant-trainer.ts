import * as tf from '@tensorflow/tfjs';
import {LossScaleOptimizer} from '@tfjs-amp/loss-scale';
import {adamw, fuseOptimizer} from '@tfjs-amp/optimizers';
import {applyPolicy, describePolicy} from '@tfjs-amp/policy';
import {RssSampler} from '../measure/memory.js';
import type {ExecutionSummary} from '../suite-report.js';
import type {RunVariant} from '../variants.js';
import type {Workload} from '../workloads/workload.js';

/** tfjs's default Adam epsilon for float32 backends. */
const ADAM_EPSILON = 1e-7;

/** What happened in one training step, for progress displays. */
export interface StepEvent {
  /** 0-based step of this configuration, counted over all epochs. */
  readonly step: number;
  /** Training loss (divided back by the loss multiplier). */
  readonly loss: number;
  /** Loss scale this step used; null without loss scaling. */
  readonly lossScale: number | null;
  /** Step time, milliseconds. */
  readonly stepMs: number;
}

/** Reads a log value that tfjs may hand over as a number or a scalar tensor. */
function logNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value instanceof tf.Tensor) return value.dataSync()[0]!;
  return Number.NaN;
}

/**
 * One configuration of a workload being trained: its own model (initial weights copied from the
 * shared ones, policy applied), optimizer, and everything measured per step. Trains through
 * plain `model.fit`, a chunk of batches at a time, so several trainers can take turns.
 */
export class VariantTrainer {
  readonly variant: RunVariant;
  readonly model: tf.LayersModel;
  /** The loss-scale optimizer, when the configuration scales its loss. */
  readonly lossScaleOptimizer: LossScaleOptimizer | null;
  /** Factor the loss is multiplied by inside the model's loss function. */
  readonly lossMultiplier: number;
  /** Time of every step, ms (warm-up included). */
  readonly stepMs: number[] = [];
  /** Training loss of every step, divided back by {@link lossMultiplier}. */
  readonly losses: number[] = [];
  /** Scale each step used (loss-scaled configurations only). */
  readonly lossScales: number[] = [];
  /** Steps that were skipped for non-finite gradients. */
  readonly skippedAt: number[] = [];
  /** Samples process RSS at the end of each of this configuration's steps. */
  readonly rss = new RssSampler();
  /** Loss scale after the latest recorded step (what the next step would use). */
  scaleAfterLastStep: number | null = null;
  private unsubscribe: (() => void) | null = null;
  /** The batch size of the last `trainChunk` (what `execution()` describes). */
  private batchSize: number | null = null;

  private constructor(
    variant: RunVariant,
    model: tf.LayersModel,
    lossScaleOptimizer: LossScaleOptimizer | null,
    lossMultiplier: number,
  ) {
    this.variant = variant;
    this.model = model;
    this.lossScaleOptimizer = lossScaleOptimizer;
    this.lossMultiplier = lossMultiplier;
    if (lossScaleOptimizer != null) {
      this.unsubscribe = lossScaleOptimizer.onUpdate((event) => {
        this.lossScales.push(event.stepScale);
        this.scaleAfterLastStep = event.lossScale;
        if (event.skipped) this.skippedAt.push(event.step);
      });
    }
  }

  /**
   * Builds the configuration's model from `workload`, copies `initialWeights` into it, applies
   * the policy (none for float32: the baseline is plain tfjs) and compiles it with Adam (wrapped
   * in a `LossScaleOptimizer` for dynamic loss scaling) and categorical cross-entropy times
   * `lossMultiplier`. Adam's epsilon is multiplied by `lossMultiplier` too: Adam's update
   * `lr · m / (√v + ε)` does not change when gradients and ε scale together, so float32 trains
   * exactly as with the plain loss (bit for bit with a power-of-two multiplier, which float32
   * multiplies exactly), while formats with less range see gradients that small.
   */
  static async create(
    workload: Workload,
    initialWeights: readonly tf.Tensor[],
    variant: RunVariant,
    lossMultiplier: number,
    seed: number,
  ): Promise<VariantTrainer> {
    const model = await workload.buildModel(seed);
    model.setWeights(initialWeights as tf.Tensor[]);
    if (variant.policy !== 'float32') applyPolicy(model, variant.policy);
    const epsilon = ADAM_EPSILON * lossMultiplier;
    const adam =
      workload.optimizer === 'adamw'
        ? adamw({learningRate: workload.learningRate, epsilon})
        : tf.train.adam(workload.learningRate, 0.9, 0.999, epsilon);
    // On tfjs-node every variant steps tfjs's Adam as fused TF ops (the LossScaleOptimizer fuses
    // what it wraps), so float32 and mixed are compared with the same optimizer implementation.
    // AdamW has no fused form: it runs as it is under every policy.
    const lso = variant.lossScaling === 'dynamic' ? new LossScaleOptimizer(adam) : null;
    const fusable = workload.optimizer !== 'adamw' && tf.getBackend() === 'tensorflow';
    const plain = lso == null && fusable ? fuseOptimizer(adam) : adam;
    const loss =
      lossMultiplier === 1
        ? 'categoricalCrossentropy'
        : (yTrue: tf.Tensor, yPred: tf.Tensor) =>
            tf.mul(tf.metrics.categoricalCrossentropy(yTrue, yPred), lossMultiplier);
    model.compile({optimizer: lso ?? plain, loss});
    return new VariantTrainer(variant, model, lso, lossMultiplier);
  }

  /**
   * Trains one pass over `x`/`y` (whole batches, in order) with `model.fit`, timing each step
   * from the batch's start to its resolved loss, and records loss, loss scale and RSS per step.
   */
  async trainChunk(
    x: tf.Tensor,
    y: tf.Tensor,
    batchSize: number,
    onStep?: (event: StepEvent) => void,
  ): Promise<void> {
    this.batchSize = batchSize;
    let begin = 0;
    await this.model.fit(x, y, {
      batchSize,
      epochs: 1,
      shuffle: false,
      verbose: 0,
      yieldEvery: 'never',
      callbacks: {
        onBatchBegin: async () => {
          begin = performance.now();
        },
        onBatchEnd: async (_batch, logs) => {
          const ms = performance.now() - begin;
          const step = this.stepMs.length;
          const loss = logNumber(logs?.loss) / this.lossMultiplier;
          this.stepMs.push(ms);
          this.losses.push(loss);
          this.rss.sample();
          onStep?.({
            step,
            loss,
            lossScale: this.lossScaleOptimizer == null ? null : (this.lossScales[step] ?? null),
            stepMs: ms,
          });
        },
      },
    });
  }

  /** Held-out accuracy (argmax), cross-entropy and predicted classes, predicting in batches. */
  evaluate(
    xTest: tf.Tensor,
    labels: Int32Array,
    batchSize = 500,
  ): {accuracy: number; loss: number; predictions: Int32Array} {
    const predictions = new Int32Array(labels.length);
    let correct = 0;
    let lossSum = 0;
    const n = labels.length;
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const probs = tf.tidy(() => {
        const xb = xTest.slice(start, size);
        return this.model.predict(xb) as tf.Tensor2D;
      });
      const values = probs.dataSync();
      probs.dispose();
      const classes = values.length / size;
      for (let i = 0; i < size; i++) {
        const row = i * classes;
        let best = 0;
        for (let c = 1; c < classes; c++) if (values[row + c]! > values[row + best]!) best = c;
        const label = labels[start + i]!;
        predictions[start + i] = best;
        if (best === label) correct++;
        // Keras clips probabilities to [1e-7, 1 - 1e-7] before the log.
        lossSum -= Math.log(Math.min(Math.max(values[row + label]!, 1e-7), 1 - 1e-7));
      }
    }
    return {accuracy: correct / n, loss: lossSum / n, predictions};
  }

  /** How the model's layers compute at the batch size it trained with, from `describePolicy`. */
  execution(): ExecutionSummary {
    const layers: Record<string, number> = {};
    const batch = this.batchSize == null ? {} : {batchSize: this.batchSize};
    for (const row of describePolicy(this.model, batch)) {
      layers[row.execution] = (layers[row.execution] ?? 0) + 1;
    }
    const kinds = Object.keys(layers).filter((k) => k !== 'none');
    const mode =
      kinds.length === 0
        ? 'float32'
        : kinds.length === 1
          ? (kinds[0] as 'emulated' | 'native')
          : 'mixed';
    return {mode, layers};
  }

  /** Stops recording loss-scale events (before extra, unrecorded steps such as profiling). */
  stopRecording(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** Disposes the model and optimizer (weights, slots, loss-scale state). */
  dispose(): void {
    this.stopRecording();
    this.model.optimizer?.dispose();
    this.model.dispose();
  }
}
