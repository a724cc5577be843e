// Side-by-side timing: a baseline and a candidate measured alternately in the same run, after
// the same warm-up, printed as medians, spreads and the candidate/baseline ratio against a target.
import * as tf from '@tensorflow/tfjs';
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {cpus} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

/** One side of a comparison: a step to time (awaited, so async work counts). */
export interface RunSide {
  readonly name: string;
  readonly step: () => unknown | Promise<unknown>;
}

/** What to compare and how long to measure. */
export interface CompareOptions {
  /** File name of the JSON result under bench/results/ and the table's title. */
  readonly subject: string;
  /** What one step is, in words (printed). */
  readonly what: string;
  readonly baseline: RunSide;
  readonly candidate: RunSide;
  /** Untimed steps of each side first. */
  readonly warmupSteps: number;
  /** Timed rounds; each times `stepsPerRound` steps of both sides, order alternating. */
  readonly rounds: number;
  readonly stepsPerRound: number;
  /** Largest acceptable candidate/baseline ratio. */
  readonly targetRatio: number;
}

export interface CompareResult {
  readonly subject: string;
  readonly what: string;
  readonly machine: string;
  readonly baseline: {name: string; medianMs: number; p10Ms: number; p90Ms: number};
  readonly candidate: {name: string; medianMs: number; p10Ms: number; p90Ms: number};
  /** candidate median / baseline median: the headline ratio. */
  readonly ratio: number;
  /** Median over rounds of (candidate ms / baseline ms) in the same round: robust to drift. */
  readonly pairedRatio: number;
  readonly targetRatio: number;
  readonly meetsTarget: boolean;
}

function quantile(sorted: readonly number[], p: number): number {
  const i = (sorted.length - 1) * p;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (i - lo);
}

function summary(name: string, perStepMs: readonly number[]) {
  const s = [...perStepMs].sort((a, b) => a - b);
  return {name, medianMs: quantile(s, 0.5), p10Ms: quantile(s, 0.1), p90Ms: quantile(s, 0.9)};
}

function cpuFlags(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('flags'));
    const flags = new Set(line?.split(':')[1]?.trim().split(/\s+/) ?? []);
    const shown = ['avx2', 'f16c', 'fma', 'avx512f', 'avx512_fp16', 'avx512_bf16', 'amx_bf16'];
    return shown.filter((f) => flags.has(f)).join(' ') || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** CPU, cores, flags, Node, tfjs, backend and date, on one line. */
export function machineLine(): string {
  const cpu = cpus();
  return (
    `${cpu[0]?.model ?? 'unknown CPU'} · ${cpu.length} cores · ${cpuFlags()} · Node ${process.version} · ` +
    `tfjs ${tf.version.tfjs} · backend ${tf.getBackend()} · ${new Date().toISOString().slice(0, 10)}`
  );
}

async function timeSteps(side: RunSide, steps: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await side.step();
  return (performance.now() - t0) / steps;
}

/** Measures both sides alternately, prints the table and writes bench/results/<subject>.json. */
export async function compareRuns(options: CompareOptions): Promise<CompareResult> {
  const {baseline, candidate} = options;
  for (let i = 0; i < options.warmupSteps; i++) {
    await baseline.step();
    await candidate.step();
  }
  const base: number[] = [];
  const cand: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < options.rounds; r++) {
    // ABBA order, so a slow drift of the machine hits both sides alike.
    let b: number;
    let c: number;
    if (r % 2 === 0) {
      b = await timeSteps(baseline, options.stepsPerRound);
      c = await timeSteps(candidate, options.stepsPerRound);
    } else {
      c = await timeSteps(candidate, options.stepsPerRound);
      b = await timeSteps(baseline, options.stepsPerRound);
    }
    base.push(b);
    cand.push(c);
    ratios.push(c / b);
  }
  const baseSummary = summary(baseline.name, base);
  const candSummary = summary(candidate.name, cand);
  const ratio = candSummary.medianMs / baseSummary.medianMs;
  const result: CompareResult = {
    subject: options.subject,
    what: options.what,
    machine: machineLine(),
    baseline: baseSummary,
    candidate: candSummary,
    ratio,
    pairedRatio: quantile(
      [...ratios].sort((x, y) => x - y),
      0.5,
    ),
    targetRatio: options.targetRatio,
    meetsTarget: ratio <= options.targetRatio,
  };
  printResult(result, options.rounds, options.stepsPerRound);
  const dir =
    process.env.BENCH_RESULTS_DIR ?? join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, {recursive: true});
  writeFileSync(join(dir, `${options.subject}.json`), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

function printResult(r: CompareResult, rounds: number, steps: number): void {
  const row = (s: CompareResult['baseline']) =>
    `  ${s.name.padEnd(16)} ${s.medianMs.toFixed(1).padStart(9)} ms   p10–p90 ${s.p10Ms.toFixed(1)}–${s.p90Ms.toFixed(1)} ms`;
  console.log(`\n${r.subject}: ${r.what}`);
  console.log(`  ${r.machine}`);
  console.log(
    `  ${rounds} rounds × ${steps} steps per side, alternating; median step time (lower is better)`,
  );
  console.log(row(r.baseline));
  console.log(row(r.candidate));
  console.log(
    `  ratio ${r.candidate.name}/${r.baseline.name}: ${r.ratio.toFixed(2)}× (≤ ${r.targetRatio.toFixed(2)}×) ${
      r.meetsTarget ? 'meets target' : 'MISSES target'
    }; per-round ratios, median ${r.pairedRatio.toFixed(2)}×`,
  );
}
