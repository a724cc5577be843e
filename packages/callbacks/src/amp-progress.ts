import {AmpCallback, type StepPosition} from './internal/amp-callback.js';
import {checkOptionKeys, outOfRange, wrongType} from './internal/errors.js';
import {type CallbackLogs, readLogValue} from './internal/log-value.js';
import {
  type LossScaleState,
  lossScaleStateOf,
  readLossScaleState,
} from './internal/loss-scale-state.js';

/** Where {@link ampProgress} writes: `process.stdout` or anything with `write`. */
export interface ProgressStream {
  write(chunk: string): unknown;
  /** Node sets it on terminals; a redrawn bar is drawn only when true. */
  isTTY?: boolean;
  /** Terminal width, when known: the line is cut to fit. */
  columns?: number;
}

/** Options of {@link ampProgress}. */
export interface AmpProgressOptions {
  /** Where to write. Default `process.stdout` in Node; elsewhere, complete lines to `console.log`. */
  stream?: ProgressStream;
  /**
   * Draw a bar redrawn in place (true) or print plain lines (false). Default `stream.isTTY`, so
   * logs piped to a file or CI get lines, not control characters.
   */
  tty?: boolean;
  /** Bar width in characters. Default 24. */
  barWidth?: number;
  /** Least time between two redraws of the bar, in ms. Default 100. */
  redrawMs?: number;
  /** Without a TTY, also print a line every `lineEvery` batches; 0 for epoch lines only. Default 0. */
  lineEvery?: number;
  /** Clock in ms. Default `performance.now`. */
  now?: () => number;
}

/** Defaults of {@link AmpProgressOptions} (`stream` and `tty` are resolved when the callback is made). */
export const DEFAULT_AMP_PROGRESS_OPTIONS: Readonly<
  Required<Omit<AmpProgressOptions, 'stream' | 'tty'>>
> = Object.freeze({
  barWidth: 24,
  redrawMs: 100,
  lineEvery: 0,
  now: () => performance.now(),
});

const OPTION_NAMES = ['stream', 'tty', ...Object.keys(DEFAULT_AMP_PROGRESS_OPTIONS)];

/** Log keys shown by name in their own place, or not at all, rather than as extra metrics. */
const SPECIAL_KEYS = new Set(['batch', 'size', 'loss', 'loss_scale', 'skipped_steps']);

/** The callback made by {@link ampProgress}. */
export class AmpProgress extends AmpCallback {
  private readonly stream: ProgressStream;
  private readonly tty: boolean;
  private readonly barWidth: number;
  private readonly redrawMs: number;
  private readonly lineEvery: number;
  private readonly now: () => number;
  private epochStartMs = 0;
  private lastDrawMs = Number.NEGATIVE_INFINITY;
  private skippedAtTrainBegin = 0;
  private skippedAtEpochBegin = 0;
  private batchesThisEpoch = 0;
  private lineOpen = false;

  constructor(options?: AmpProgressOptions) {
    super('ampProgress');
    const o = checkOptionKeys(this.where, options, OPTION_NAMES);
    const d = DEFAULT_AMP_PROGRESS_OPTIONS;
    const stream = (o.stream ?? defaultStream()) as ProgressStream;
    if (stream == null || typeof stream.write !== 'function') {
      throw wrongType(this.where, 'stream', 'a writable stream (an object with write())', stream);
    }
    this.stream = stream;
    if (o.tty !== undefined && typeof o.tty !== 'boolean') {
      throw wrongType(this.where, 'tty', 'a boolean', o.tty);
    }
    this.tty = (o.tty as boolean | undefined) ?? stream.isTTY === true;
    this.barWidth = nonNegativeInteger(this.where, 'barWidth', o.barWidth, d.barWidth);
    this.redrawMs = nonNegativeNumber(this.where, 'redrawMs', o.redrawMs, d.redrawMs);
    this.lineEvery = nonNegativeInteger(this.where, 'lineEvery', o.lineEvery, d.lineEvery);
    if (o.now !== undefined && typeof o.now !== 'function') {
      throw wrongType(this.where, 'now', 'a function', o.now);
    }
    this.now = (o.now as (() => number) | undefined) ?? d.now;
  }

  protected override async handleTrainBegin(): Promise<void> {
    this.skippedAtTrainBegin = (await this.readState())?.skippedSteps ?? 0;
    this.lineOpen = false;
  }

  protected override async handleEpochBegin(): Promise<void> {
    this.epochStartMs = this.now();
    this.lastDrawMs = Number.NEGATIVE_INFINITY;
    this.skippedAtEpochBegin = (await this.readState())?.skippedSteps ?? 0;
    this.batchesThisEpoch = 0;
  }

  protected override async handleBatchEnd(at: StepPosition, logs?: CallbackLogs): Promise<void> {
    this.batchesThisEpoch = at.batch + 1;
    if (this.tty) {
      const t = this.now();
      const total = this.batchesPerEpoch();
      const last = total != null && at.batch + 1 >= total;
      if (t - this.lastDrawMs < this.redrawMs && !last) return;
      this.lastDrawMs = t;
      const loss = await readLogValue(logs, 'loss');
      const state = await this.readState();
      this.draw(`${this.barText(at.batch + 1)}${this.stats(loss, logs, state, t)}`);
    } else if (this.lineEvery > 0 && (at.batch + 1) % this.lineEvery === 0) {
      const loss = await readLogValue(logs, 'loss');
      const state = await this.readState();
      this.stream.write(
        `${this.epochLabel()} batch ${at.batch + 1}${this.ofTotal()}${this.stats(loss, logs, state, this.now())}\n`,
      );
    }
  }

  protected override async handleEpochEnd(_epoch: number, logs?: CallbackLogs): Promise<void> {
    const loss = await readLogValue(logs, 'loss');
    const extras: string[] = [];
    for (const key of Object.keys(logs ?? {})) {
      if (SPECIAL_KEYS.has(key)) continue;
      const value = await readLogValue(logs, key);
      if (value !== undefined) extras.push(`${key} ${formatNumber(value)}`);
    }
    const state = await this.readState();
    const line =
      `${this.epochLabel()} ${this.batchesThisEpoch} batches${this.stats(loss, logs, state, this.now())}` +
      extras.map((e) => ` · ${e}`).join('');
    if (this.tty) {
      this.draw(line);
      this.stream.write('\n');
      this.lineOpen = false;
    } else {
      this.stream.write(`${line}\n`);
    }
  }

  protected override async handleTrainEnd(): Promise<void> {
    if (this.lineOpen) this.stream.write('\n');
    this.lineOpen = false;
  }

  private draw(text: string): void {
    const columns = this.stream.columns;
    const fitted =
      columns != null && columns > 1 && text.length >= columns ? text.slice(0, columns - 1) : text;
    // Carriage return, the line, then erase what is left of a longer previous line.
    this.stream.write(`\r${fitted}\x1b[K`);
    this.lineOpen = true;
  }

  private epochLabel(): string {
    const epochs = this.params?.epochs as number | undefined;
    return `Epoch ${this.epoch + 1}${epochs != null ? `/${epochs}` : ''}`;
  }

  private batchesPerEpoch(): number | null {
    const p = this.params ?? {};
    const steps = p.steps as number | null | undefined;
    if (typeof steps === 'number' && steps > 0) return steps;
    const samples = p.samples as number | null | undefined;
    const batchSize = p.batchSize as number | null | undefined;
    if (typeof samples === 'number' && typeof batchSize === 'number' && batchSize > 0) {
      return Math.ceil(samples / batchSize);
    }
    return null;
  }

  private ofTotal(): string {
    const total = this.batchesPerEpoch();
    return total == null ? '' : `/${total}`;
  }

  private barText(done: number): string {
    const total = this.batchesPerEpoch();
    if (total == null || this.barWidth === 0) return `${this.epochLabel()} ${done} batches`;
    const filled = Math.min(this.barWidth, Math.floor((done / total) * this.barWidth));
    const bar =
      filled >= this.barWidth
        ? '='.repeat(this.barWidth)
        : `${'='.repeat(filled)}>${'.'.repeat(this.barWidth - filled - 1)}`;
    return `${this.epochLabel()} [${bar}] ${done}/${total}`;
  }

  /**
   * The model's LossScaleOptimizer state (`readState()`, which never blocks), or `null` without
   * one. Read only where a line is written, so at most once per redraw.
   */
  private async readState(): Promise<LossScaleState | null> {
    const state = lossScaleStateOf(this.model);
    return state == null ? null : readLossScaleState(state);
  }

  private stats(
    loss: number | undefined,
    logs: CallbackLogs | undefined,
    state: LossScaleState | null,
    t: number,
  ): string {
    const parts: string[] = [];
    parts.push(`${((t - this.epochStartMs) / 1000).toFixed(1)}s`);
    if (loss !== undefined) parts.push(`loss ${formatNumber(loss)}`);
    const logged = logs?.loss_scale;
    const scale = typeof logged === 'number' ? logged : state?.lossScale;
    if (scale !== undefined) parts.push(`loss scale ${formatNumber(scale)}`);
    if (state != null) {
      const epochSkipped = state.skippedSteps - this.skippedAtEpochBegin;
      const total = state.skippedSteps - this.skippedAtTrainBegin;
      parts.push(`skipped ${epochSkipped}${total !== epochSkipped ? ` (${total} in all)` : ''}`);
    }
    return parts.map((p) => ` · ${p}`).join('');
  }
}

/** `process.stdout` where it exists; else a stream that hands complete lines to console.log. */
function defaultStream(): ProgressStream {
  const stdout = (globalThis as {process?: {stdout?: ProgressStream}}).process?.stdout;
  if (stdout != null) return stdout;
  let pending = '';
  return {
    isTTY: false,
    write(chunk: string) {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) console.log(line);
      return true;
    },
  };
}

function formatNumber(x: number): string {
  if (!Number.isFinite(x) || x === 0) return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e7) return String(x);
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e5 ? x.toPrecision(4) : x.toExponential(3);
}

function nonNegativeInteger(where: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw outOfRange(where, name, 'an integer ≥ 0', value);
  }
  return value;
}

function nonNegativeNumber(where: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
    throw outOfRange(where, name, 'a finite number ≥ 0', value);
  }
  return value;
}

/**
 * A progress display for Node terminals that shows the loss, the loss scale and skipped steps.
 * On a TTY: one bar per epoch, redrawn in place at most every `redrawMs`, finished with the
 * epoch's averaged metrics. Elsewhere (a pipe, a file, CI): one plain line per epoch (and every
 * `lineEvery` batches if set), no control characters. The loss scale and skipped steps come from
 * a `LossScaleOptimizer` when the model has one; otherwise they are left out.
 *
 * Cost: when the loss in `logs` is a tensor, one scalar read per redraw (not per batch); the
 * optimizer's state is read with `await optimizer.readState()`, which never blocks (in its
 * `'device'` mode, one asynchronous read per redraw at most).
 * tfjs-node's own `verbose: 1` bar does not know the loss scale; pass `verbose: 0` with this.
 * @throws TypeError / RangeError for a bad option.
 * @example
 * await model.fit(xs, ys, {epochs: 5, verbose: 0, callbacks: [lossScaleMonitor(), ampProgress()]});
 */
export function ampProgress(options?: AmpProgressOptions): AmpProgress {
  return new AmpProgress(options);
}
