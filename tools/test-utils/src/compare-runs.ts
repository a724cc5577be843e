// Side-by-side timing for every package's bench/ scripts (STYLE §7), in one convention: the ratio
// is candidate time / baseline time, so lower is faster, printed with its target (`1.08× (≤ 1.15×)`).
// Baseline and candidate run alternately (ABBA) after the same warm-up; quantiles interpolate
// (the shared `quantile`); every table starts with the machine line; results go to
// bench/results/<subject>.json.
import * as tf from '@tensorflow/tfjs';
import {cpuFeatures, quantile} from '@tfjs-amp/kernels/shared';
import {mkdirSync, writeFileSync} from 'node:fs';
import {cpus, loadavg} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';

/** One side of a comparison: a unit of work to time (awaited, so async work counts). */
export interface BenchSide {
  readonly name: string;
  readonly run: () => unknown;
}

/** What {@link compareRuns} times and how long. */
export interface CompareRunsOptions {
  /** Row name (and, for a single comparison, the file name under bench/results/). */
  readonly name: string;
  /** What one timed call is, in words (`train step, batch 64`). */
  readonly unit: string;
  /** The backend the row ran on; default `tf.getBackend()`. */
  readonly backend?: string;
  readonly baseline: BenchSide;
  readonly candidate: BenchSide;
  /** Untimed calls of each side first. Default 3. */
  readonly warmup?: number;
  /** Timed rounds; each times `callsPerRound` calls of both sides, order alternating. Default 15. */
  readonly rounds?: number;
  /** Calls per side per round (the time is per call). Default 1. */
  readonly callsPerRound?: number;
  /** Largest acceptable candidate/baseline time ratio, or null for none. */
  readonly target: number | null;
}

/** Median and spread of per-call times, in milliseconds. */
export interface TimeStats {
  readonly name: string;
  readonly medianMs: number;
  readonly p10Ms: number;
  readonly p90Ms: number;
  readonly samples: number;
}

/** One comparison: both sides' times and the candidate/baseline time ratio (lower is faster). */
export interface ComparisonRow {
  readonly name: string;
  readonly unit: string;
  readonly backend: string;
  readonly baseline: TimeStats;
  readonly candidate: TimeStats;
  /**
   * Candidate time / baseline time: the median of per-round ratios when the sides were timed in
   * rounds (robust to a machine that drifts), else the ratio of medians. Lower is faster.
   */
  readonly ratio: number;
  /** Largest acceptable {@link ComparisonRow.ratio}, or null. */
  readonly target: number | null;
  /** `ratio ≤ target`, or null without a target. */
  readonly meetsTarget: boolean | null;
}

/** Median, p10 and p90 of `ms` (interpolated quantiles). */
export function timeStats(name: string, ms: readonly number[]): TimeStats {
  const s = [...ms].sort((a, b) => a - b);
  return {
    name,
    medianMs: quantile(s, 0.5),
    p10Ms: quantile(s, 0.1),
    p90Ms: quantile(s, 0.9),
    samples: s.length,
  };
}

/**
 * The line every table starts with: CPU model, cores, the CPU flags that matter for half
 * precision (from the shared `cpuFeatures()`), load average, Node, tfjs, backend and date.
 * @example machineLine() // 'CPU AMD EPYC | 2 cores | flags avx2 fma f16c | load 1.2 | Node v20… | tfjs 4.22.0 | backend wasm | 2026-12-01'
 */
export function machineLine(backend: string = tf.getBackend() ?? 'none'): string {
  const cpu = cpuFeatures();
  return [
    `CPU ${cpu.model}`,
    `${cpus().length} cores`,
    `flags ${cpu.flags.join(' ') || 'none of interest'}`,
    `load ${loadavg()[0]!.toFixed(2)}`,
    `Node ${process.version}`,
    `tfjs ${tf.version.tfjs}`,
    `backend ${backend}`,
    new Date().toISOString().slice(0, 10),
  ].join(' | ');
}

async function timed(side: BenchSide, calls: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) await side.run();
  return (performance.now() - t0) / calls;
}

/**
 * Times baseline and candidate alternately (ABBA, so a drifting machine hits both alike) after
 * the same warm-up and returns the row; print it with {@link reportComparisons}.
 * @throws RangeError when warmup, rounds or callsPerRound is not a positive integer (warmup ≥ 0).
 * @example
 * const row = await compareRuns({name: 'add', unit: 'call', baseline: {name: 'a', run: a},
 *   candidate: {name: 'b', run: b}, target: 1.05});
 */
export async function compareRuns(o: CompareRunsOptions): Promise<ComparisonRow> {
  const {warmup = 3, rounds = 15, callsPerRound = 1} = o;
  for (const [key, v, min] of [
    ['warmup', warmup, 0],
    ['rounds', rounds, 1],
    ['callsPerRound', callsPerRound, 1],
  ] as const) {
    if (!Number.isInteger(v) || v < min) {
      throw new RangeError(`compareRuns: ${key} must be an integer ≥ ${min}; got ${v}.`);
    }
  }
  for (let i = 0; i < warmup; i++) {
    await o.baseline.run();
    await o.candidate.run();
  }
  const base: number[] = [];
  const cand: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let b: number;
    let c: number;
    if (r % 2 === 0) {
      b = await timed(o.baseline, callsPerRound);
      c = await timed(o.candidate, callsPerRound);
    } else {
      c = await timed(o.candidate, callsPerRound);
      b = await timed(o.baseline, callsPerRound);
    }
    base.push(b);
    cand.push(c);
    ratios.push(c / b);
  }
  return row(o, timeStats(o.baseline.name, base), timeStats(o.candidate.name, cand), ratios);
}

/**
 * A row from times measured elsewhere (a script with its own timing loop). With as many
 * candidate as baseline samples, sample i of each is taken as one round (per-round ratios);
 * otherwise the ratio is of the medians.
 */
export function compareSeries(o: {
  name: string;
  unit: string;
  backend?: string;
  baseline: {name: string; ms: readonly number[]};
  candidate: {name: string; ms: readonly number[]};
  target: number | null;
}): ComparisonRow {
  const b = o.baseline.ms;
  const c = o.candidate.ms;
  const ratios = b.length === c.length && b.length > 0 ? c.map((x, i) => x / b[i]!) : null;
  return row(o, timeStats(o.baseline.name, b), timeStats(o.candidate.name, c), ratios);
}

function row(
  o: {name: string; unit: string; backend?: string; target: number | null},
  baseline: TimeStats,
  candidate: TimeStats,
  ratios: number[] | null,
): ComparisonRow {
  const ratio = ratios
    ? quantile(
        [...ratios].sort((x, y) => x - y),
        0.5,
      )
    : candidate.medianMs / baseline.medianMs;
  return {
    name: o.name,
    unit: o.unit,
    backend: o.backend ?? tf.getBackend() ?? 'none',
    baseline,
    candidate,
    ratio,
    target: o.target,
    meetsTarget: o.target == null ? null : ratio <= o.target,
  };
}

function ms(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toPrecision(3);
}

/** `1.08× (≤ 1.15×) met`: the ratio with its target, lower is faster. */
export function formatRatio(r: Pick<ComparisonRow, 'ratio' | 'target' | 'meetsTarget'>): string {
  if (r.target == null) return `${r.ratio.toFixed(3)}×`;
  return `${r.ratio.toFixed(3)}× (≤ ${r.target.toFixed(2)}×) ${r.meetsTarget ? 'met' : 'MISSED'}`;
}

/** The rows as a markdown table under the machine line and the title. */
export function formatComparisons(
  title: string,
  rows: readonly ComparisonRow[],
  machine = machineLine(),
): string {
  const header = [
    'comparison',
    'backend',
    'baseline',
    'candidate',
    'baseline ms (p10–p90)',
    'candidate ms (p10–p90)',
    'time ratio cand./base. (lower is faster)',
  ];
  const cell = (s: TimeStats) => `${ms(s.medianMs)} (${ms(s.p10Ms)}–${ms(s.p90Ms)})`;
  const lines = rows.map((r) => [
    r.name,
    r.backend,
    r.baseline.name,
    r.candidate.name,
    cell(r.baseline),
    cell(r.candidate),
    formatRatio(r),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    machine,
    title,
    fmt(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...lines.map(fmt),
  ].join('\n');
}

/**
 * Prints the rows as one table (machine line first, then `notes`) and writes
 * `<resultsDir>/<subject>.json` (`resultsDir` is usually `new URL('./results/', import.meta.url)`
 * of the bench script; `BENCH_RESULTS_DIR` overrides it). Returns the printed table.
 */
export function reportComparisons(o: {
  subject: string;
  title: string;
  rows: readonly ComparisonRow[];
  resultsDir?: string | URL;
  notes?: readonly string[];
}): string {
  const backends = [...new Set(o.rows.map((r) => r.backend))];
  const machine = machineLine(backends.length === 1 ? backends[0] : 'per row');
  const table = [formatComparisons(o.title, o.rows, machine), ...(o.notes ?? [])].join('\n');
  console.log(`\n${table}\n`);
  writeResult(o.resultsDir, o.subject, {
    subject: o.subject,
    title: o.title,
    machine,
    rows: o.rows,
    notes: o.notes ?? [],
  });
  return table;
}

/**
 * Writes `<dir>/<subject>.json`: `BENCH_RESULTS_DIR` if set, else `dir`, else `bench/results/`
 * under the working directory (a package's root when run by its `bench` target).
 */
function writeResult(dir: string | URL | undefined, subject: string, value: unknown): string {
  const resolved =
    process.env.BENCH_RESULTS_DIR ??
    (dir instanceof URL ? fileURLToPath(dir) : (dir ?? join(process.cwd(), 'bench', 'results')));
  mkdirSync(resolved, {recursive: true});
  const file = join(resolved, `${subject}.json`);
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
  return file;
}

/** One measured variant for {@link reportSeries}: per-step ms, optionally its mean CPU ms per step. */
export interface Series {
  name: string;
  stepMs: number[];
  cpuMsPerStep?: number;
}

/**
 * Candidates measured against a baseline in the same run (the script times them itself, one
 * step of each per round), as one table with optional CPU-time columns; ratios are candidate /
 * baseline time, lower is faster, targets are upper bounds. Prints it, writes the JSON (see
 * {@link reportComparisons} for where) and returns the table.
 */
export function reportSeries(c: {
  subject: string;
  title: string;
  baseline: Series;
  candidates: {series: Series; target?: number}[];
  /** Only `'lower'`: every tfjs-amp table uses candidate/baseline time, lower is faster. */
  better?: 'lower';
  notes?: string[];
  resultsDir?: string | URL;
}): string {
  const rows = c.candidates.map(({series, target}) =>
    compareSeries({
      name: series.name,
      unit: 'step',
      baseline: {name: c.baseline.name, ms: c.baseline.stepMs},
      candidate: {name: series.name, ms: series.stepMs},
      target: target ?? null,
    }),
  );
  const machine = machineLine(rows[0]?.backend);
  const baseCpu = c.baseline.cpuMsPerStep;
  const cpu = (s: Series) =>
    baseCpu == null || s.cpuMsPerStep == null
      ? ''
      : `; CPU ${s.cpuMsPerStep.toFixed(3)} ms/step = ${(s.cpuMsPerStep / baseCpu).toFixed(3)}× baseline's ${baseCpu.toFixed(3)}`;
  const table = [
    formatComparisons(c.title, rows, machine),
    ...c.candidates
      .map(({series}) => `${series.name}${cpu(series)}`)
      .filter((l) => l.includes(';')),
    ...(c.notes ?? []),
  ].join('\n');
  console.log(`\n${table}\n`);
  writeResult(c.resultsDir, c.subject, {
    subject: c.subject,
    title: c.title,
    machine,
    rows,
    cpuMsPerStep: Object.fromEntries(
      [c.baseline, ...c.candidates.map((x) => x.series)].map((s) => [
        s.name,
        s.cpuMsPerStep ?? null,
      ]),
    ),
    notes: c.notes ?? [],
  });
  return table;
}
