import * as tf from '@tensorflow/tfjs';
import {type FormatName, getFormat, isFormatName, FORMAT_NAMES} from '@tfjs-amp/kernels';
import {describePolicy, policyOf} from '@tfjs-amp/policy';
import {AmpCallback, type StepPosition} from './internal/amp-callback.js';
import {
  booleanOption,
  checkOptionKeys,
  invalidChoice,
  positiveInteger,
  wrongType,
} from './internal/errors.js';
import {installProbe} from './internal/layer-probe.js';
import {lossScaleStateOf, readLossScaleState} from './internal/loss-scale-state.js';
import {
  hasOverflow,
  mergeTensorNumerics,
  numericsTensors,
  type TensorNumerics,
  toTensorNumerics,
} from './internal/tensor-numerics.js';

export type {TensorNumerics} from './internal/tensor-numerics.js';

/** Options of {@link numericsMonitor}. */
export interface NumericsMonitorOptions {
  /**
   * Sample every `every`-th batch, counted across epochs from the start of `fit`: steps 0,
   * `every`, 2·`every`, … Default 100. Batches in between cost nothing (one integer check).
   */
  every?: number;
  /**
   * Names of the layers to watch (top-level layers of the model, nested models included as one
   * layer). Default: every layer except input layers.
   */
  layers?: readonly string[] | null;
  /**
   * Format to measure against. Default: each layer's own output format under its policy
   * (`describePolicy`), float32 for layers with none. Set `'float16'` on a float32 model to see
   * what would overflow or underflow if it ran in float16.
   */
  format?: FormatName | null;
  /** Also measure the gradient reaching each layer's output. Default `true`. */
  gradients?: boolean;
  /** Called with every sample once it is read back. Default: none. */
  onSample?: ((sample: NumericsSample) => void) | null;
  /** Where the first-overflow warning of a sample goes; `null` for none. Default `console.warn`. */
  log?: ((message: string) => void) | null;
}

/** Defaults of {@link NumericsMonitorOptions}. */
export const DEFAULT_NUMERICS_MONITOR_OPTIONS: Readonly<Required<NumericsMonitorOptions>> =
  Object.freeze({
    every: 100,
    layers: null,
    format: null,
    gradients: true,
    onSample: null,
    log: (message: string) => console.warn(message),
  });

/** One layer in a {@link NumericsSample}. */
export interface LayerNumerics {
  /** `layer.name`. */
  name: string;
  /** `layer.getClassName()`. */
  className: string;
  /** Format the values were measured against. */
  format: FormatName;
  /** The layer's outputs in the forward pass; `null` when the layer did not run in that batch. */
  activation: TensorNumerics | null;
  /**
   * The gradient of the (scaled) loss reaching the layer's outputs; `null` when gradients are
   * off or none reached it. Under a `LossScaleOptimizer` these are scaled by `lossScale`, which
   * is what the low-precision backward pass holds.
   */
  gradient: TensorNumerics | null;
}

/** Where a sample first saw an overflow. */
export interface FirstOverflow {
  /** Layer name. */
  layer: string;
  /** `activation` (found in the forward pass, layers in call order) or `gradient` (backward). */
  tensor: 'activation' | 'gradient';
}

/** The numerics of one sampled batch. */
export interface NumericsSample {
  epoch: number;
  batch: number;
  /** Batches since the start of `fit` (0-based). */
  step: number;
  /** The loss scale the batch ran with, or `null` without a loss-scale optimizer. */
  lossScale: number | null;
  /**
   * Whether the loss-scale optimizer skipped the step (some gradient not finite), or `null`
   * without one. Skipped with no `firstOverflow` means the overflow was in a weight gradient,
   * which this monitor does not measure.
   */
  skipped: boolean | null;
  /** One entry per watched layer, in the model's layer order. */
  layers: LayerNumerics[];
  /**
   * The first layer holding a NaN, an Inf, or a finite value beyond its format's range: forward
   * pass first (in call order), then backward (in the order gradients arrive). `null` when none.
   */
  firstOverflow: FirstOverflow | null;
}

/** Everything {@link NumericsMonitor.toJSON} exports. */
export interface NumericsReport {
  every: number;
  samples: NumericsSample[];
}

/** Device-side results waiting to be read at the end of the sampled batch. */
interface Pending {
  readonly layer: number;
  readonly tensor: 'activation' | 'gradient';
  readonly order: number;
  readonly size: number;
  readonly maxAbs: tf.Scalar;
  readonly counts: tf.Tensor1D;
}

/** The callback made by {@link numericsMonitor}. */
export class NumericsMonitor extends AmpCallback {
  /** Every sample of the current (or latest) `fit`, oldest first. */
  readonly samples: NumericsSample[] = [];
  private readonly every: number;
  private readonly layerNames: readonly string[] | null;
  private readonly format: FormatName | null;
  private readonly gradients: boolean;
  private readonly onSample: ((sample: NumericsSample) => void) | null;
  private readonly log: ((message: string) => void) | null;
  private watched: tf.layers.Layer[] = [];
  private formats: FormatName[] = [];
  private pending: Pending[] = [];
  private removers: Array<() => void> = [];
  private sampling = false;
  private lossScale: number | null = null;
  private order = 0;

  constructor(options?: NumericsMonitorOptions) {
    super('numericsMonitor');
    const o = checkOptionKeys(this.where, options, Object.keys(DEFAULT_NUMERICS_MONITOR_OPTIONS));
    const d = DEFAULT_NUMERICS_MONITOR_OPTIONS;
    this.every = positiveInteger(this.where, 'every', o.every, d.every);
    this.layerNames = layerNamesOption(this.where, o.layers);
    if (o.format != null && !isFormatName(o.format)) {
      throw invalidChoice(this.where, 'format', o.format, FORMAT_NAMES);
    }
    this.format = (o.format as FormatName | null | undefined) ?? null;
    this.gradients = booleanOption(this.where, 'gradients', o.gradients, d.gradients);
    this.onSample = nullableFunction(this.where, 'onSample', o.onSample, d.onSample);
    this.log = nullableFunction(this.where, 'log', o.log, d.log);
  }

  protected override async handleTrainBegin(): Promise<void> {
    this.discardPending();
    this.samples.length = 0;
    const model = this.trainedModel;
    const candidates = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
    if (this.layerNames == null) {
      this.watched = candidates;
    } else {
      const byName = new Map(candidates.map((l) => [l.name, l]));
      this.watched = this.layerNames.map((name) => {
        const layer = byName.get(name);
        if (layer == null) throw invalidChoice(this.where, 'layer name', name, [...byName.keys()]);
        return layer;
      });
    }
  }

  protected override async handleBatchBegin(at: StepPosition): Promise<void> {
    if (at.step % this.every !== 0) return;
    this.sampling = true;
    this.order = 0;
    const state = lossScaleStateOf(this.model);
    this.lossScale = state == null ? null : (await readLossScaleState(state)).lossScale;
    this.formats = this.layerFormats();
    this.removers = this.watched.map((layer, index) =>
      installProbe(layer, {
        onActivation: (x) => this.measure(index, 'activation', x),
        onGradient: (dy) => {
          if (this.gradients) this.measure(index, 'gradient', dy);
        },
      }),
    );
  }

  protected override async handleBatchEnd(at: StepPosition): Promise<void> {
    if (!this.sampling) return;
    this.sampling = false;
    for (const remove of this.removers) remove();
    this.removers = [];
    const pending = this.pending;
    this.pending = [];
    const sample = await this.readSample(at, pending);
    this.samples.push(sample);
    if (sample.firstOverflow != null && this.log != null) this.log(overflowMessage(sample));
    this.onSample?.(sample);
  }

  protected override async handleTrainEnd(): Promise<void> {
    this.discardPending();
  }

  /** The samples as plain JSON (`JSON.stringify(monitor)` works too). */
  toJSON(): NumericsReport {
    return {every: this.every, samples: this.samples.map((s) => structuredClone(s))};
  }

  /**
   * A text table of one sample (default: the latest): per layer, the format, then for activations
   * and gradients max |x|, max |x| as a share of the format's max, the share of values that
   * underflow to zero, that become subnormal, and the NaN / Inf / overflow counts.
   */
  report(sample: NumericsSample | undefined = this.samples[this.samples.length - 1]): string {
    if (sample == null) return 'numericsMonitor: no sample yet.';
    return formatReport(sample);
  }

  private layerFormats(): FormatName[] {
    if (this.format != null) return this.watched.map(() => this.format!);
    const rows = new Map(describePolicy(this.trainedModel).map((r) => [r.name, r.outputFormat]));
    return this.watched.map(
      (layer) => rows.get(layer.name) ?? policyOf(layer)?.computeDtype ?? 'float32',
    );
  }

  private measure(layer: number, tensor: 'activation' | 'gradient', x: tf.Tensor): void {
    if (!this.sampling || x.dtype !== 'float32') return;
    const {maxAbs, counts} = numericsTensors(x, this.formats[layer]!);
    this.pending.push({
      layer,
      tensor,
      order: this.order++,
      size: x.size,
      maxAbs: tf.keep(maxAbs),
      counts: tf.keep(counts),
    });
  }

  private async readSample(at: StepPosition, pending: Pending[]): Promise<NumericsSample> {
    let maxValues: ArrayLike<number> = [];
    let countValues: ArrayLike<number> = [];
    if (pending.length > 0) {
      const maxes = tf.stack(pending.map((p) => p.maxAbs));
      const counts = tf.stack(pending.map((p) => p.counts));
      try {
        [maxValues, countValues] = await Promise.all([maxes.data(), counts.data()]);
      } finally {
        tf.dispose([maxes, counts]);
        disposePending(pending);
      }
    }
    const layers: LayerNumerics[] = this.watched.map((layer, i) => ({
      name: layer.name,
      className: layer.getClassName(),
      format: this.formats[i]!,
      activation: null,
      gradient: null,
    }));
    const ordered = pending.map((p, row) => ({
      ...p,
      numerics: toTensorNumerics(
        p.size,
        maxValues[row]!,
        Array.prototype.slice.call(countValues, row * 6, row * 6 + 6) as number[],
        this.formats[p.layer]!,
      ),
    }));
    for (const p of ordered) {
      const entry = layers[p.layer]!;
      const previous = entry[p.tensor];
      entry[p.tensor] = previous == null ? p.numerics : mergeTensorNumerics(previous, p.numerics);
    }
    let firstOverflow: FirstOverflow | null = null;
    for (const kind of ['activation', 'gradient'] as const) {
      const hit = ordered
        .filter((p) => p.tensor === kind && hasOverflow(p.numerics))
        .sort((a, b) => a.order - b.order)[0];
      if (hit != null) {
        firstOverflow = {layer: layers[hit.layer]!.name, tensor: kind};
        break;
      }
    }
    const state = lossScaleStateOf(this.model);
    const skipped = state == null ? null : (await readLossScaleState(state)).lastStepSkipped;
    return {...at, lossScale: this.lossScale, skipped, layers, firstOverflow};
  }

  private discardPending(): void {
    for (const remove of this.removers) remove();
    this.removers = [];
    disposePending(this.pending);
    this.pending = [];
    this.sampling = false;
  }
}

function disposePending(pending: readonly Pending[]): void {
  for (const p of pending) tf.dispose([p.maxAbs, p.counts]);
}

function layerNamesOption(where: string, value: unknown): readonly string[] | null {
  if (value == null) return null;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw wrongType(where, 'layers', 'an array of layer names', value);
  }
  return Object.freeze([...value]);
}

function nullableFunction<F>(where: string, name: string, value: unknown, fallback: F): F {
  if (value === undefined) return fallback;
  if (value === null) return null as F;
  if (typeof value !== 'function') throw wrongType(where, name, 'a function or null', value);
  return value as F;
}

function overflowMessage(s: NumericsSample): string {
  const first = s.firstOverflow!;
  const layer = s.layers.find((l) => l.name === first.layer)!;
  const n = layer[first.tensor]!;
  const what = first.tensor === 'activation' ? 'activations' : 'gradients';
  const max = getFormat(layer.format).maxFinite;
  return (
    `numericsMonitor: step ${s.step} (epoch ${s.epoch}, batch ${s.batch}): first overflow in ` +
    `layer '${first.layer}' ${what} (${layer.format}, max ${max}): ${n.overflow} finite ` +
    `values beyond range, ${n.inf} Inf, ${n.nan} NaN of ${n.size}` +
    (first.tensor === 'gradient' && s.lossScale != null ? `; loss scale ${s.lossScale}.` : '.')
  );
}

const pct = (part: number, whole: number): string =>
  whole === 0 ? '-' : `${((100 * part) / whole).toPrecision(3)}%`;
const num = (x: number): string => (x === 0 ? '0' : x.toExponential(2));

function formatReport(s: NumericsSample): string {
  const header = [
    'layer',
    'format',
    'act max|x|',
    'act %max',
    'act underflow',
    'act subnormal',
    'act NaN/Inf/ovf',
    'grad max|x|',
    'grad %max',
    'grad underflow',
    'grad subnormal',
    'grad NaN/Inf/ovf',
  ];
  const cells = (n: TensorNumerics | null): string[] =>
    n == null
      ? ['-', '-', '-', '-', '-']
      : [
          num(n.maxAbs),
          `${(100 * n.maxAbsRatio).toPrecision(3)}%`,
          pct(n.underflow, n.size),
          pct(n.subnormal, n.size),
          `${n.nan}/${n.inf}/${n.overflow}`,
        ];
  const rows = s.layers.map((l) => [
    l.name,
    l.format,
    ...cells(l.activation),
    ...cells(l.gradient),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const title =
    `numericsMonitor: step ${s.step} (epoch ${s.epoch}, batch ${s.batch})` +
    (s.lossScale != null ? `, loss scale ${s.lossScale}` : '');
  let first =
    s.firstOverflow == null
      ? 'first overflow: none'
      : `first overflow: layer '${s.firstOverflow.layer}' (${s.firstOverflow.tensor})`;
  if (s.skipped === true) {
    first +=
      s.firstOverflow == null
        ? '; the step was skipped: a weight gradient overflowed (not measured here)'
        : '; the step was skipped';
  }
  return [title, line(header), ...rows.map(line), first].join('\n');
}

/**
 * Samples the numerics of every layer every `every` batches: for activations and for the
 * gradients reaching them, max |x| (also relative to the format's largest value), the share of
 * values that underflow to zero or become subnormal in the format, and NaN / Inf / overflow
 * counts; names the first layer that overflowed and warns about it. `report()` gives a table,
 * `toJSON()` the samples.
 *
 * Cost: nothing between samples (no hook is installed). On a sampled batch, each watched layer's
 * `call` is wrapped for that one forward pass (then put back, whatever it was: a policy's
 * instrumented call keeps working underneath), each output passes through an identity op that
 * measures it and, backward, its gradient, off the gradient tape; results are read at the end of
 * the batch in one device read. Training is bit-identical with and without the monitor.
 * Neither Keras nor PyTorch ships this; it is closest to PyTorch's forward/backward hooks.
 * @throws TypeError / RangeError for a bad option; TypeError at the start of `fit` for a layer
 *   name the model lacks (the message lists the model's layers).
 * @example
 * const monitor = numericsMonitor({every: 50});
 * await model.fit(xs, ys, {epochs: 3, callbacks: [monitor]});
 * console.log(monitor.report());
 */
export function numericsMonitor(options?: NumericsMonitorOptions): NumericsMonitor {
  return new NumericsMonitor(options);
}
