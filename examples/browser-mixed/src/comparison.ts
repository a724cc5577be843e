import type {RunResult} from './train-run.js';

interface Row {
  readonly metric: string;
  readonly label: string;
  readonly value: (r: RunResult) => number | null;
  readonly format: (v: number, r: RunResult) => string;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

const ROWS: readonly Row[] = [
  {
    metric: 'stepMs',
    label: 'time per step (median)',
    value: (r) => r.stepMs,
    format: (v) => `${v.toFixed(1)} ms`,
  },
  {
    metric: 'trainSeconds',
    label: 'training time',
    value: (r) => r.trainSeconds,
    format: (v) => `${v.toFixed(1)} s`,
  },
  {metric: 'steps', label: 'steps', value: (r) => r.steps, format: (v) => String(v)},
  {
    metric: 'finalLoss',
    label: 'last training loss',
    value: (r) => r.finalLoss,
    format: (v) => v.toFixed(4),
  },
  {
    metric: 'testAccuracy',
    label: 'test accuracy (2000 held-out digits)',
    value: (r) => r.testAccuracy,
    format: (v) => `${(v * 100).toFixed(2)}%`,
  },
  {
    metric: 'lossScale',
    label: 'final loss scale',
    value: (r) => r.finalLossScale,
    format: (v, r) => `${v} (${r.lossScaleMode} mode)`,
  },
  {
    metric: 'skippedSteps',
    label: 'skipped steps',
    value: (r) => r.skippedSteps,
    format: (v) => String(v),
  },
  {
    metric: 'savedWeightBytes',
    label: 'saved weights',
    value: (r) => r.savedWeightBytes,
    format: (v, r) => `${kb(v)} (${r.savedWeightsAs}, ${r.parameters.toLocaleString('en')} params)`,
  },
  {
    metric: 'savedTotalBytes',
    label: 'saved model (model.json + weights)',
    value: (r) => r.savedTotalBytes,
    format: (v) => kb(v),
  },
];

/**
 * Fills `table` with one column per run (float32 first) and one row per measure. Each value cell
 * carries `data-run`, `data-metric` and the raw `data-value` (the loss-scale cell also
 * `data-loss-scale-mode`: sync or device); a ratio column compares the last run with the first.
 */
export function renderComparison(table: HTMLElement, results: readonly RunResult[]): void {
  const head = document.createElement('tr');
  head.append(th(''), ...results.map((r) => th(r.policy)));
  if (results.length === 2) head.append(th(`${results[1]!.policy} vs ${results[0]!.policy}`));
  const rows = ROWS.map((row) => {
    const tr = document.createElement('tr');
    tr.append(th(row.label));
    for (const r of results) {
      const td = document.createElement('td');
      const v = row.value(r);
      td.dataset.run = r.policy;
      td.dataset.metric = row.metric;
      td.dataset.value = String(v);
      if (row.metric === 'lossScale' && r.lossScaleMode != null) {
        td.dataset.lossScaleMode = r.lossScaleMode;
      }
      td.textContent = v == null ? '—' : row.format(v, r);
      tr.append(td);
    }
    if (results.length === 2) {
      const [a, b] = [row.value(results[0]!), row.value(results[1]!)];
      const td = document.createElement('td');
      td.textContent =
        a == null || b == null
          ? '—'
          : row.metric === 'testAccuracy'
            ? `${b >= a ? '+' : '−'}${Math.abs((b - a) * 100).toFixed(2)} pp`
            : ['stepMs', 'trainSeconds', 'savedWeightBytes', 'savedTotalBytes'].includes(row.metric)
              ? `${(b / a).toFixed(2)}×`
              : '';
      tr.append(td);
    }
    return tr;
  });
  table.replaceChildren(head, ...rows);
  table.dataset.runs = String(results.length);
}

function th(text: string): HTMLTableCellElement {
  const cell = document.createElement('th');
  cell.textContent = text;
  return cell;
}
