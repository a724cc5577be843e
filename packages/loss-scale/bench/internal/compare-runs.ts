// Prints benchmark tables the way STYLE §7 asks (machine line, median, spread, ratio, target) and
// writes bench/results/<subject>.json. A local stand-in for @tfjs-amp/test-utils' compareRuns.
import * as tf from '@tensorflow/tfjs';
import {readFileSync, mkdirSync, writeFileSync} from 'node:fs';
import {cpus} from 'node:os';

/** One measured variant: per-step milliseconds, and optionally its mean CPU time per step. */
export interface Series {
  name: string;
  stepMs: number[];
  cpuMsPerStep?: number;
}

/** A comparison of candidates against a baseline measured in the same run. */
export interface Comparison {
  subject: string;
  title: string;
  baseline: Series;
  candidates: {series: Series; target?: number}[];
  /** Which way is better for the measured quantity. */
  better: 'lower' | 'higher';
  notes?: string[];
}

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: quantile(sorted, 0.5),
    p10: quantile(sorted, 0.1),
    p90: quantile(sorted, 0.9),
    n: values.length,
  };
}

function cpuFlags(): string[] {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const line = info.split('\n').find((l) => l.startsWith('flags'));
    const flags = new Set((line ?? '').split(':')[1]?.trim().split(/\s+/) ?? []);
    return ['avx2', 'avx512f', 'avx512_bf16', 'f16c', 'amx_bf16'].filter((f) => flags.has(f));
  } catch {
    return [];
  }
}

/** The machine line every table starts with. */
export function machineLine(): string {
  const cpu = cpus();
  return [
    `CPU ${cpu[0]?.model.trim() ?? 'unknown'}`,
    `${cpu.length} cores`,
    `flags ${cpuFlags().join(',') || 'none of avx2/avx512/f16c'}`,
    `Node ${process.version}`,
    `tfjs ${tf.version.tfjs}`,
    `backend ${tf.getBackend()}`,
    new Date().toISOString().slice(0, 10),
  ].join(' | ');
}

/** Prints the comparison table and writes bench/results/<subject>.json; returns the table. */
export function compareRuns(c: Comparison): string {
  const base = stats(c.baseline.stepMs);
  const fmt = (x: number) => x.toFixed(3);
  const baseCpu = c.baseline.cpuMsPerStep;
  const cpuCells = (series: Series): string[] => {
    if (baseCpu == null) return [];
    const cpu = series.cpuMsPerStep ?? Number.NaN;
    return [fmt(cpu), series === c.baseline ? 'baseline' : `${(cpu / baseCpu).toFixed(3)}×`];
  };
  const rows = [
    [
      'variant',
      'median ms/step',
      'p10–p90 ms',
      'steps',
      `ratio (${c.better} is better)`,
      ...(baseCpu == null ? [] : ['CPU ms/step (mean)', 'CPU ratio']),
    ],
    [
      c.baseline.name,
      fmt(base.median),
      `${fmt(base.p10)}–${fmt(base.p90)}`,
      String(base.n),
      'baseline',
      ...cpuCells(c.baseline),
    ],
  ];
  const results = c.candidates.map(({series, target}) => {
    const s = stats(series.stepMs);
    const ratio = s.median / base.median;
    const meets = target == null ? null : c.better === 'lower' ? ratio <= target : ratio >= target;
    const verdict =
      target == null
        ? ''
        : ` (${c.better === 'lower' ? '≤' : '≥'} ${target.toFixed(2)}×) ${meets ? 'met' : 'NOT met'}`;
    rows.push([
      series.name,
      fmt(s.median),
      `${fmt(s.p10)}–${fmt(s.p90)}`,
      String(s.n),
      `${ratio.toFixed(3)}×${verdict}`,
      ...cpuCells(series),
    ]);
    return {
      name: series.name,
      ...s,
      ratio,
      target: target ?? null,
      meets,
      cpuMsPerStep: series.cpuMsPerStep ?? null,
    };
  });
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  const table = [
    machineLine(),
    c.title,
    line(rows[0]!),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...rows.slice(1).map(line),
    ...(c.notes ?? []),
  ].join('\n');
  console.log(`${table}\n`);
  const dir = new URL('../results/', import.meta.url);
  mkdirSync(dir, {recursive: true});
  writeFileSync(
    new URL(`${c.subject}.json`, dir),
    `${JSON.stringify({subject: c.subject, title: c.title, machine: machineLine(), baseline: {name: c.baseline.name, ...base, cpuMsPerStep: baseCpu ?? null}, candidates: results}, null, 2)}\n`,
  );
  return table;
}
