import type {ProgressEvent} from '../train/train-group.js';
import {percent} from './findings.js';

/** Where progress goes and how. */
export interface ProgressOptions {
  /** Default `process.stderr`, so stdout keeps only the tables. */
  stream?: {write(text: string): unknown; isTTY?: boolean};
  /** Rewrite one status line (terminals) or print a line per epoch and result. Default: the stream's isTTY. */
  live?: boolean;
  /** Minimum milliseconds between live redraws. Default 100. */
  intervalMs?: number;
}

/**
 * A progress display for {@link runSuite}'s `onProgress`: on a terminal one status line,
 * redrawn at most every `intervalMs` (workload, epoch, percent done, current configuration, loss
 * and loss scale); elsewhere (CI logs) one line per epoch and per finished configuration.
 * Returns the listener; call its `done()` to clear the live line.
 */
export function createProgress(
  options: ProgressOptions = {},
): ((event: ProgressEvent) => void) & {done(): void} {
  const stream = options.stream ?? process.stderr;
  const live = options.live ?? stream.isTTY === true;
  const intervalMs = options.intervalMs ?? 100;
  let lastDraw = Number.NEGATIVE_INFINITY;
  let lastEpochKey = '';
  let lineShown = false;
  const clear = () => {
    if (lineShown) stream.write('\r\x1b[2K');
    lineShown = false;
  };
  const print = (text: string) => {
    clear();
    stream.write(`${text}\n`);
  };
  const listener = (event: ProgressEvent) => {
    switch (event.kind) {
      case 'workload':
        print(`[${event.index + 1}/${event.total}] ${event.workload}: loading data, training…`);
        return;
      case 'evaluate':
        if (!live) print(`  ${event.workload} (${event.scenario}): evaluating on held-out data`);
        return;
      case 'run-done': {
        const r = event.run;
        print(
          `  ✓ ${r.workload}${r.scenario === 'default' ? '' : ` (${r.scenario})`} ${r.label}: ` +
            `${percent(r.testAccuracy)} held-out, ${r.stepTime.medianMs.toFixed(2)} ms/step` +
            (r.stepTimeRatio == null ? '' : ` (${r.stepTimeRatio.toFixed(2)}× float32)`),
        );
        return;
      }
      case 'step': {
        const done = Math.round((100 * event.groupStep) / event.groupSteps);
        const scenario = event.scenario === 'default' ? '' : ` (${event.scenario})`;
        if (!live) {
          const key = `${event.workload}|${event.scenario}|${event.epoch}`;
          if (key !== lastEpochKey) {
            lastEpochKey = key;
            print(`  ${event.workload}${scenario}: epoch ${event.epoch + 1}/${event.epochs}`);
          }
          return;
        }
        const now = performance.now();
        if (now - lastDraw < intervalMs && event.groupStep !== event.groupSteps) return;
        lastDraw = now;
        const e = event.event;
        const scale = e.lossScale == null ? '' : ` · scale ${e.lossScale}`;
        stream.write(
          `\r\x1b[2K  ${event.workload}${scenario} · epoch ${event.epoch + 1}/${event.epochs} · ` +
            `${String(done).padStart(3)}% · ${event.variant} step ${e.step + 1} · ` +
            `loss ${e.loss.toFixed(4)}${scale} · ${e.stepMs.toFixed(1)} ms`,
        );
        lineShown = true;
        return;
      }
    }
  };
  return Object.assign(listener, {done: clear});
}
