import {join} from 'node:path';
import {PARITY_TOLERANCE_PP, type SuiteReport} from '../suite-report.js';
import {parityVerdict} from './findings.js';
import {percent, signedPp} from './format-numbers.js';
import {HTML_CLIENT_SCRIPT} from './html-client.js';
import {toJson} from './json.js';
import {prepareOutputDir, writeFileAtomic} from './output-files.js';
import {describeRun, megabytes, runGroups} from './table.js';
import {ratioCell} from './unit-caveat.js';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** JSON that is safe inside a <script> element (no `</script>`, no `<!--`). */
function scriptJson(report: SuiteReport): string {
  return toJson(report)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;color:#212529}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 6px}
.meta{color:#495057;white-space:pre-line}
.pass{color:#2b8a3e;font-weight:600}.fail{color:#c92a2a;font-weight:600}
table{border-collapse:collapse;margin:8px 0;font-variant-numeric:tabular-nums}
th,td{padding:3px 8px;border-bottom:1px solid #dee2e6;text-align:right;white-space:nowrap}
th:first-child,td:first-child,th:nth-child(2),td:nth-child(2){text-align:left}
th{background:#f1f3f5}
.charts{display:flex;flex-wrap:wrap;gap:12px}
figure.chart{margin:0;border:1px solid #dee2e6;border-radius:6px;padding:6px;background:#fff}
svg text{font-size:11px;fill:#495057}svg .title{font-size:13px;font-weight:600;fill:#212529}
svg .grid{stroke:#e9ecef}svg .axis{stroke:#868e96}svg .series{fill:none;stroke-width:1.8}
svg .whisker{stroke:#212529;stroke-width:1.2}svg .value{font-size:10px;fill:#212529}
.legend{font-size:12px;display:flex;flex-wrap:wrap;gap:10px;padding:2px 8px}
.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-2px;border-radius:2px}
ul.notes li{margin:4px 0}pre.error{color:#c92a2a;white-space:pre-wrap}
`;

/**
 * A self-contained HTML page for `report`: summary tables, findings, and SVG charts (loss curves
 * per policy, loss scale over steps with skipped steps, step-time bars with p10–p90 whiskers,
 * memory bars, accuracy bars) drawn by an inline script from the embedded report JSON. No
 * external resource is referenced; the page works offline.
 */
export function renderHtml(report: SuiteReport): string {
  const failed = report.parity.filter((p) => !p.withinTolerance);
  const verdict = parityVerdict(report.parity);
  const parity =
    report.parity.length === 0
      ? ''
      : verdict.status === 'not-judged'
        ? `<p class="fail">${escapeHtml(verdict.text)}.</p>`
        : verdict.status === 'pass'
          ? `<p class="pass">Accuracy parity: every mixed policy within ±${PARITY_TOLERANCE_PP} pp of float32.</p>`
          : `<p class="fail">Accuracy parity not reached for ${escapeHtml(failed.map((p) => `${p.workload} ${p.variant} (${signedPp(p.accuracyDeltaPp)})`).join(', '))}.</p>`;
  const sections = runGroups(report).map((group) => {
    const rows = group.runs
      .map((r) =>
        [
          r.policy,
          r.lossScaling,
          `${r.stepTime.medianMs.toFixed(2)} (${r.stepTime.p10Ms.toFixed(2)}–${r.stepTime.p90Ms.toFixed(2)})`,
          r.samplesPerSec.toFixed(0),
          ratioCell(r.stepTimeRatio, r.policy, report.machine),
          megabytes(r.memory.stateBytes),
          megabytes(r.memory.stepPeakBytes),
          r.memory.tensorStepPeakBytes == null ? '—' : megabytes(r.memory.tensorStepPeakBytes),
          megabytes(r.memory.rssPeakBytes),
          Number.isFinite(r.finalTrainLoss) ? r.finalTrainLoss.toFixed(4) : 'NaN',
          percent(r.testAccuracy),
          r.accuracyDeltaPp == null ? '—' : signedPp(r.accuracyDeltaPp),
          r.agreementWithFloat32 == null ? '—' : percent(r.agreementWithFloat32),
          r.lossScale == null ? '—' : String(r.lossScale.skippedSteps),
          r.lossScale == null ? '—' : String(r.lossScale.final),
          `${r.execution.mode} (${r.memory.castKernelsPerStep} casts/step)`,
        ]
          .map((c) => `<td>${escapeHtml(c)}</td>`)
          .join(''),
      )
      .map((r) => `<tr>${r}</tr>`)
      .join('\n');
    const headers = [
      'policy',
      'loss scaling',
      'step ms (p10–p90)',
      'ex/s',
      'time vs fp32',
      'tfjs state',
      'tfjs step peak',
      'TF step tensors',
      'RSS peak',
      'train loss',
      'test acc',
      'Δ acc',
      'agree w/ fp32',
      'skipped',
      'final scale',
      'kernels',
    ]
      .map((h) => `<th>${escapeHtml(h)}</th>`)
      .join('');
    return `<section data-group="${escapeHtml(`${group.workload}|${group.scenario}`)}">
<h2>${escapeHtml(group.title)}</h2>
<table><thead><tr>${headers}</tr></thead><tbody>
${rows}
</tbody></table>
<div class="charts"></div>
</section>`;
  });
  const notes = report.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tfjs-amp bench: float32 vs mixed precision</title>
<style>${STYLE}</style>
</head>
<body>
<h1>tfjs-amp bench: float32 vs mixed precision</h1>
<p class="meta">${escapeHtml(describeRun(report))}
${escapeHtml(report.createdAt)}</p>
${parity}
<ul class="notes">
${notes}
</ul>
${sections.join('\n')}
<script type="application/json" id="report-data">${scriptJson(report)}</script>
<script>${HTML_CLIENT_SCRIPT}</script>
</body>
</html>
`;
}

/**
 * Writes `report.html` into `dir` (created if missing) atomically and returns its path.
 * @throws ReportFileError when `dir` cannot be created or written (see {@link prepareOutputDir}).
 */
export function writeHtmlReport(report: SuiteReport, dir: string): string {
  const path = join(prepareOutputDir(dir), 'report.html');
  writeFileAtomic(path, renderHtml(report));
  return path;
}
