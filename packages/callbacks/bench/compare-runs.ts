// Side-by-side timing for this package's benchmarks: baseline and candidate measured alternately
// (ABBA) in the same process after the same warm-up; medians, spreads and the candidate/baseline
// ratio against a target, printed and written to bench/results/<subject>.json.
import * as tf from '@tensorflow/tfjs';
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {cpus} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

/** One side of a comparison: one timed unit of work (awaited). */
export interface Side {
  readonly name: string;
  readonly run: () => Promise<unknown>;
}

/** What to compare and for how long. */
export interface Comparison {
  /** File name under bench/results/ and the table's title. */
  readonly subject: string;
  /** What one timed unit is, in words. */
  readonly unit: string;
  readonly baseline: Side;
  readonly candidate: Side;
  /** Untimed units of each side first. */
  readonly warmup: number;
  /** Timed rounds; each times one unit of both sides, order alternating. */
  readonly rounds: number;
  /** Largest acceptable candidate/baseline ratio (lower is better). */
  readonly target: number;
}

interface Stats {
  name: string;
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
}

/** What {@link compare} prints and writes. */
export interface ComparisonResult {
  subject: string;
  unit: string;
  machine: string;
  rounds: number;
  baseline: Stats;
  candidate: Stats;
  /** Median over rounds of candidate ms / baseline ms within the same round. */
  ratio: number;
  target: number;
  meetsTarget: boolean;
}

function quantile(sorted: readonly number[], p: number): number {
  const i = (sorted.length - 1) * p;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (i - lo);
}

function stats(name: string, ms: readonly number[]): Stats {
  const s = [...ms].sort((a, b) => a - b);
  return {name, medianMs: quantile(s, 0.5), p10Ms: quantile(s, 0.1), p90Ms: quantile(s, 0.9)};
}

function cpuFlags(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('flags'));
    const flags = new Set(line?.split(':')[1]?.trim().split(/\s+/) ?? []);
    const shown = ['avx2', 'f16c', 'fma', 'avx512f', 'avx512_fp16', 'avx512_bf16', 'amx_bf16'];
    return shown.filter((f) => flags.has(f)).join(' ') || 'none listed';
  } catch {
    return 'unknown';
  }
}

/** CPU, cores, flags, Node, tfjs, backend and date on one line. */
export function machineLine(): string {
  const cpu = cpus();
  return (
    `${cpu[0]?.model ?? 'unknown CPU'} · ${cpu.length} cores · ${cpuFlags()} · Node ${process.version} · ` +
    `tfjs ${tf.version.tfjs} · backend ${tf.getBackend()} · ${new Date().toISOString().slice(0, 10)}`
  );
}

async function timed(side: Side): Promise<number> {
  const t0 = performance.now();
  await side.run();
  return performance.now() - t0;
}

/** Runs the comparison, prints its table, writes bench/results/<subject>.json. */
export async function compare(c: Comparison): Promise<ComparisonResult> {
  for (let i = 0; i < c.warmup; i++) {
    await c.baseline.run();
    await c.candidate.run();
  }
  const base: number[] = [];
  const cand: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < c.rounds; r++) {
    let b: number;
    let k: number;
    if (r % 2 === 0) {
      b = await timed(c.baseline);
      k = await timed(c.candidate);
    } else {
      k = await timed(c.candidate);
      b = await timed(c.baseline);
    }
    base.push(b);
    cand.push(k);
    ratios.push(k / b);
  }
  const ratio = quantile(
    [...ratios].sort((x, y) => x - y),
    0.5,
  );
  const result: ComparisonResult = {
    subject: c.subject,
    unit: c.unit,
    machine: machineLine(),
    rounds: c.rounds,
    baseline: stats(c.baseline.name, base),
    candidate: stats(c.candidate.name, cand),
    ratio,
    target: c.target,
    meetsTarget: ratio <= c.target,
  };
  const row = (s: Stats) =>
    `  ${s.name.padEnd(28)} ${s.medianMs.toFixed(0).padStart(7)} ms   p10–p90 ${s.p10Ms.toFixed(0)}–${s.p90Ms.toFixed(0)} ms`;
  console.log(`\n${c.subject}: ${c.unit}`);
  console.log(`  ${result.machine}`);
  console.log(
    `  ${c.rounds} rounds per side, alternating (ABBA); median time per ${c.unit.split(',')[0]} (lower is better)`,
  );
  console.log(row(result.baseline));
  console.log(row(result.candidate));
  console.log(
    `  ratio ${c.candidate.name}/${c.baseline.name}: ${ratio.toFixed(3)}× (≤ ${c.target.toFixed(2)}×) ${
      result.meetsTarget ? 'meets target' : 'MISSES target'
    }`,
  );
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, {recursive: true});
  writeFileSync(join(dir, `${c.subject}.json`), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}
