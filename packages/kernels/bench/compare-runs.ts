// Side-by-side timing for the package's benchmarks (STYLE §7): a baseline and a candidate run
// alternately after the same warm-up; each table starts with the machine line and is also
// written to bench/results/<subject>.json.
import * as tf from '@tensorflow/tfjs';
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {cpus} from 'node:os';

/** What the tables are measured on. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  /** CPU flags that matter for half precision, with whether they are present. */
  flags: Record<string, boolean>;
  node: string;
  tfjs: string;
  date: string;
}

export function machineInfo(): MachineInfo {
  let flagLine = '';
  try {
    flagLine = readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '';
  } catch {
    // not Linux: flags unknown
  }
  const present = new Set(flagLine.trim().split(/\s+/));
  const flags: Record<string, boolean> = {};
  for (const flag of ['f16c', 'avx2', 'avx512f', 'avx512_bf16', 'avx512_fp16']) {
    flags[flag] = present.has(flag);
  }
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    flags,
    node: process.version,
    tfjs: tf.version.tfjs,
    date: new Date().toISOString(),
  };
}

export function describeMachine(m: MachineInfo): string {
  const flags = Object.entries(m.flags)
    .map(([name, on]) => `${on ? '+' : '-'}${name}`)
    .join(' ');
  return `${m.cpu}, ${m.cores} cores, ${flags}, Node ${m.node}, tfjs ${m.tfjs}, ${m.date.slice(0, 10)}`;
}

/** Timings of one comparison, in milliseconds per run. */
export interface Comparison {
  name: string;
  backend: string;
  baseline: string;
  candidate: string;
  values: number;
  baselineMs: Stats;
  candidateMs: Stats;
  /** Candidate throughput ÷ baseline throughput (higher is better). */
  ratio: number;
  /** Minimum ratio the issue asks for, if any. */
  target: number | null;
}

export interface Stats {
  median: number;
  p10: number;
  p90: number;
}

function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))]!;
  return {median: at(0.5), p10: at(0.1), p90: at(0.9)};
}

/**
 * Times `baseline` and `candidate` alternately (`warmup` pairs first, then `runs` pairs), so
 * both see the same machine state. Each function runs once per sample.
 */
export function compare(
  spec: Omit<Comparison, 'baselineMs' | 'candidateMs' | 'ratio'>,
  baseline: () => void,
  candidate: () => void,
  {warmup = 3, runs = 15}: {warmup?: number; runs?: number} = {},
): Comparison {
  for (let i = 0; i < warmup; i++) {
    baseline();
    candidate();
  }
  const b: number[] = [];
  const c: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Alternate which goes first, so neither always runs on a warmer cache.
    const order = i % 2 === 0 ? [baseline, candidate] : [candidate, baseline];
    for (const f of order) {
      const t0 = performance.now();
      f();
      const ms = performance.now() - t0;
      (f === baseline ? b : c).push(ms);
    }
  }
  const baselineMs = stats(b);
  const candidateMs = stats(c);
  return {...spec, baselineMs, candidateMs, ratio: baselineMs.median / candidateMs.median};
}

function spread(s: Stats): string {
  return `±${(((s.p90 - s.p10) / 2 / s.median) * 100).toFixed(0)}%`;
}

/** Prints the comparisons as one table (throughput in values per second). */
export function printTable(title: string, machine: MachineInfo, rows: Comparison[]): void {
  console.log(`\n${title}`);
  console.log(describeMachine(machine));
  const header = [
    'backend',
    'candidate',
    'baseline',
    'cand. Mval/s',
    'base. Mval/s',
    'ratio (higher is better)',
  ];
  const lines = rows.map((r) => {
    const mvals = (ms: Stats) => `${(r.values / ms.median / 1e3).toFixed(0)} ${spread(ms)}`;
    const verdict =
      r.target == null
        ? ''
        : ` (target ≥ ${r.target.toFixed(2)}×: ${r.ratio >= r.target ? 'met' : 'MISSED'})`;
    return [
      r.backend,
      r.candidate,
      r.baseline,
      mvals(r.candidateMs),
      mvals(r.baselineMs),
      `${r.ratio.toFixed(2)}×${verdict}`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(fmt(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const line of lines) console.log(fmt(line));
}

/** Writes bench/results/<subject>.json next to this file. */
export function writeResults(subject: string, machine: MachineInfo, rows: Comparison[]): string {
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, {recursive: true});
  const file = new URL(`${subject}.json`, dir);
  writeFileSync(file, `${JSON.stringify({subject, machine, rows}, null, 2)}\n`);
  return file.pathname;
}
