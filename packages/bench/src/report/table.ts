import {describeHalfPrecisionUnits, describeMachine} from '../measure/machine.js';
import type {RunReport, ScenarioName, SuiteReport} from '../suite-report.js';
import {parityVerdict} from './findings.js';
import {percent, powerOfTwo, signedPp} from './format-numbers.js';
import {ratioCell} from './unit-caveat.js';

/** One table column: header, alignment, and how a run renders in it. */
interface Column {
  readonly header: string;
  readonly align: 'left' | 'right';
  readonly cell: (run: RunReport, report: SuiteReport) => string;
}

/** `1.4 MB`, `312 MB`. */
export function megabytes(bytes: number): string {
  const mb = bytes / 1e6;
  return `${mb < 10 ? mb.toFixed(2) : mb.toFixed(0)} MB`;
}

function ms(x: number): string {
  return x < 10 ? x.toFixed(2) : x.toFixed(1);
}

/** Header of the native-bytes column, shown on the `tensorflow` backend only. */
const NATIVE_HEADER = 'native 16-bit peak';

/** Header of the TF tensor-bytes column, shown on the `tensorflow` backend only. */
const TENSOR_HEADER = 'step tensors';

/** The columns for `report`: the native-bytes columns only where native kernels can run. */
function columnsFor(columns: readonly Column[], report: SuiteReport): readonly Column[] {
  return report.machine.backend === 'tensorflow'
    ? columns
    : columns.filter((c) => c.header !== NATIVE_HEADER && c.header !== TENSOR_HEADER);
}

const COLUMNS: readonly Column[] = [
  {header: 'policy', align: 'left', cell: (r) => r.policy},
  {header: 'loss scaling', align: 'left', cell: (r) => r.lossScaling},
  {
    header: 'step ms (p10–p90)',
    align: 'right',
    cell: (r) => `${ms(r.stepTime.medianMs)} (${ms(r.stepTime.p10Ms)}–${ms(r.stepTime.p90Ms)})`,
  },
  {header: 'ex/s', align: 'right', cell: (r) => r.samplesPerSec.toFixed(0)},
  {
    header: 'time vs fp32',
    align: 'right',
    cell: (r, report) => ratioCell(r.stepTimeRatio, r.policy, report.machine),
  },
  {header: 'tfjs peak', align: 'right', cell: (r) => megabytes(r.memory.peakBytes)},
  {header: 'RSS peak', align: 'right', cell: (r) => megabytes(r.memory.rssPeakBytes)},
  {
    header: NATIVE_HEADER,
    align: 'right',
    // The step's peak of 16-bit copies (none outlive a step); older reports have only nativeBytes.
    cell: (r) => {
      const bytes = r.memory.nativeStepPeakBytes ?? r.memory.nativeBytes;
      return bytes == null ? '—' : megabytes(bytes);
    },
  },
  {
    header: TENSOR_HEADER,
    align: 'right',
    // What a step holds at its busiest in TF tensors of every dtype (older reports: none).
    cell: (r) =>
      r.memory.tensorStepPeakBytes == null ? '—' : megabytes(r.memory.tensorStepPeakBytes),
  },
  {
    header: 'train loss',
    align: 'right',
    cell: (r) =>
      r.diverged && !Number.isFinite(r.finalTrainLoss) ? 'NaN' : r.finalTrainLoss.toFixed(4),
  },
  {header: 'test acc', align: 'right', cell: (r) => percent(r.testAccuracy)},
  {
    header: 'Δ acc',
    align: 'right',
    cell: (r) => (r.accuracyDeltaPp == null ? '—' : signedPp(r.accuracyDeltaPp)),
  },
  {
    header: 'agree w/ fp32',
    align: 'right',
    cell: (r) => (r.agreementWithFloat32 == null ? '—' : percent(r.agreementWithFloat32)),
  },
  {
    header: 'skipped',
    align: 'right',
    cell: (r) => (r.lossScale == null ? '—' : String(r.lossScale.skippedSteps)),
  },
  {
    header: 'final scale',
    align: 'right',
    cell: (r) => (r.lossScale == null ? '—' : String(r.lossScale.final)),
  },
  {header: 'kernels', align: 'left', cell: (r) => r.execution.mode},
];

const SCENARIO_TITLES: Readonly<Record<ScenarioName, string>> = {
  default: '',
  'small-gradients': 'ablation: small gradients',
};

function scenarioTitle(report: SuiteReport, scenario: ScenarioName): string {
  return scenario === 'small-gradients'
    ? `${SCENARIO_TITLES[scenario]} (loss × ${powerOfTwo(report.options.smallGradientScale)})`
    : SCENARIO_TITLES[scenario];
}

/** The runs grouped as tables appear: by workload, then scenario. */
export function runGroups(
  report: SuiteReport,
): {workload: string; scenario: ScenarioName; title: string; runs: RunReport[]}[] {
  const groups: {workload: string; scenario: ScenarioName; title: string; runs: RunReport[]}[] = [];
  for (const run of report.runs) {
    let group = groups.find((g) => g.workload === run.workload && g.scenario === run.scenario);
    if (group == null) {
      const w = report.workloads.find((x) => x.name === run.workload);
      const sub = scenarioTitle(report, run.scenario);
      const title =
        `${run.workload}${sub ? ` — ${sub}` : ''}` +
        (w == null
          ? ''
          : ` · ${w.description} · ${w.parameters.toLocaleString('en-US')} params · ` +
            `${w.trainExamples} train / ${w.testExamples} held-out examples`);
      group = {workload: run.workload, scenario: run.scenario, title, runs: []};
      groups.push(group);
    }
    group.runs.push(run);
  }
  return groups;
}

function renderText(
  columns: readonly Column[],
  runs: readonly RunReport[],
  report: SuiteReport,
): string[] {
  const cells = runs.map((r) => columns.map((c) => c.cell(r, report)));
  const widths = columns.map((c, i) =>
    Math.max(c.header.length, ...cells.map((row) => row[i]!.length)),
  );
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (columns[i]!.align === 'left' ? v.padEnd(widths[i]!) : v.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [
    `  ${line(columns.map((c) => c.header))}`,
    `  ${widths.map((w) => '─'.repeat(w)).join('  ')}`,
    ...cells.map((row) => `  ${line(row)}`),
  ];
}

/** `batch 64`, or each workload's own: `batch 256 (w1), 512 (w4)`. */
export function describeBatch(report: SuiteReport): string {
  const o = report.options;
  if (o.batchSize != null) return `batch ${o.batchSize}`;
  const sizes = report.workloads.map((w) => ({name: w.name, batch: w.batchSize ?? '?'}));
  const distinct = [...new Set(sizes.map((s) => s.batch))];
  if (distinct.length <= 1) return `batch ${distinct[0] ?? '?'}`;
  return `batch ${sizes.map((s) => `${s.batch} (${s.name})`).join(', ')}`;
}

/**
 * On the `tensorflow` backend, where 16-bit kernels can run natively, the CPU flags that explain
 * the speed figures and whether the CPU has bf16 and fp16 units (a line of its own).
 */
function unitsLine(report: SuiteReport): string {
  if (report.machine.backend !== 'tensorflow') return '';
  const line = describeHalfPrecisionUnits(report.machine);
  return `\n${line ?? 'CPU flags unknown (not x86 Linux): whether this CPU has 16-bit units is not known.'}`;
}

/** The header line: suite size, seeds and the machine. */
export function describeRun(report: SuiteReport): string {
  const o = report.options;
  return (
    `${o.suite} suite: ${o.epochs} epoch(s), ${describeBatch(report)}, seed ${o.seed}, ` +
    `${o.warmupSteps} warm-up steps left out of timings · ${(report.durationMs / 1000).toFixed(0)} s ` +
    `(CPU ${(report.cpuMs / 1000).toFixed(0)} s, load average ${report.machine.loadAverage[0] ?? '?'})\n` +
    describeMachine(report.machine) +
    unitsLine(report)
  );
}

/**
 * The comparison as terminal text: one table per workload (and per ablation scenario), then the
 * findings. Step time is the median after warm-up with its 10th–90th percentile; "time vs fp32"
 * is the median over float32's median in the same run (lower is better).
 */
export function formatTable(report: SuiteReport): string {
  const out: string[] = [describeRun(report), ''];
  for (const group of runGroups(report)) {
    out.push(group.title, ...renderText(columnsFor(COLUMNS, report), group.runs, report), '');
  }
  if (report.parity.length > 0) out.push(parityVerdict(report.parity).text);
  for (const note of report.notes) out.push(`• ${note}`);
  return out.join('\n');
}

const MARKDOWN_COLUMNS: readonly Column[] = COLUMNS.filter(
  (c) => c.header !== 'RSS peak' && c.header !== 'ex/s',
);

/**
 * The comparison as GitHub markdown (for READMEs): the machine, then one table per workload and
 * scenario, then the findings. Every number comes from `report`.
 */
export function formatMarkdown(report: SuiteReport, command?: string): string {
  const o = report.options;
  const out: string[] = [
    `Measured on ${describeMachine(report.machine)}; ${o.epochs} epoch(s) of ` +
      `${report.workloads[0]?.stepsPerEpoch ?? '?'} steps (${describeBatch(report)}, seed ${o.seed}), ` +
      `${report.createdAt.slice(0, 10)}, ${(report.durationMs / 1000).toFixed(0)} s in all ` +
      `(CPU ${(report.cpuMs / 1000).toFixed(0)} s, load average ${report.machine.loadAverage[0] ?? '?'}).` +
      (command ? ` Reproduce: \`${command}\`.` : '') +
      unitsLine(report),
    '',
  ];
  const columns = columnsFor(MARKDOWN_COLUMNS, report);
  for (const group of runGroups(report)) {
    out.push(`**${group.title}**`, '');
    out.push(`| ${columns.map((c) => c.header).join(' | ')} |`);
    out.push(`|${columns.map((c) => (c.align === 'left' ? ' --- ' : ' ---: ')).join('|')}|`);
    for (const run of group.runs) {
      out.push(`| ${columns.map((c) => c.cell(run, report)).join(' | ')} |`);
    }
    out.push('');
  }
  for (const note of report.notes) out.push(`- ${note}`);
  return `${out.join('\n')}\n`;
}
