#!/usr/bin/env node
// tfjs-amp-bench: float32 vs mixed precision on your model and backend (see README.md).
import {realpathSync} from 'node:fs';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';
import {POLICY_NAMES, type PolicyName} from '@tfjs-amp/policy';
import {BACKEND_NAMES, type BackendName} from './backends.js';
import {describeValue, invalidChoice} from './internal/errors.js';
import {
  DEFAULT_BATCH_SIZE,
  DEFAULT_SUITE_OPTIONS,
  MIN_SMALL_GRADIENT_SCALE,
  type ResolvedSuiteOptions,
  resolveSuiteOptions,
  SUITE_NAMES,
  SUITE_PRESETS,
  type SuiteName,
  type SuiteOptions,
} from './options.js';
import {writeHtmlReport} from './report/html.js';
import {findings} from './report/findings.js';
import {readJsonReport, writeJsonReport} from './report/json.js';
import {prepareOutputDir, writeFileAtomic} from './report/output-files.js';
import type {SuiteReport} from './suite-report.js';
import {createProgress} from './report/progress.js';
import {formatMarkdown, formatTable} from './report/table.js';
import {scheduleMain} from './precision-schedule-cli.js';
import {runSuite} from './run-suite.js';
import {WORKLOAD_NAMES} from './workloads/index.js';

const NAME = 'tfjs-amp-bench';

/** Default `--out`: the report folder, relative to the working directory. */
export const DEFAULT_OUT_DIR = 'tfjs-amp-report';

/** The flags `tfjs-amp-bench` accepts (node:util parseArgs config). */
export const CLI_FLAGS = {
  backend: {type: 'string'},
  workload: {type: 'string', multiple: true},
  policy: {type: 'string', multiple: true},
  suite: {type: 'string'},
  epochs: {type: 'string'},
  steps: {type: 'string'},
  batch: {type: 'string'},
  seed: {type: 'string'},
  train: {type: 'string'},
  test: {type: 'string'},
  warmup: {type: 'string'},
  chunk: {type: 'string'},
  'small-gradient-scale': {type: 'string'},
  'no-ablation': {type: 'boolean'},
  out: {type: 'string'},
  from: {type: 'string'},
  quiet: {type: 'boolean'},
  help: {type: 'boolean', short: 'h'},
} as const;

/** What the command line asks for. */
export interface CliCommand {
  readonly help: boolean;
  /** An earlier report.json to render again instead of running. */
  readonly from: string | null;
  readonly quiet: boolean;
  readonly outDir: string;
  readonly options: SuiteOptions;
}

/** A bad command line; the CLI prints the message and exits with status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

function list(values: readonly string[] | undefined): string[] | undefined {
  if (values == null) return undefined;
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

function integerFlag(flag: string, value: string | undefined, min: number): number | undefined {
  if (value == null) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(
      `${NAME}: --${flag} must be an integer ≥ ${min}; got ${describeValue(value)}.`,
    );
  }
  return Number(value);
}

function scaleFlag(value: string | undefined): number | undefined {
  if (value == null) return undefined;
  const power = /^2\^(-?\d+)$/.exec(value);
  const x = power ? 2 ** Number(power[1]) : Number(value);
  if (!(x >= MIN_SMALL_GRADIENT_SCALE && x <= 1) || value.trim() === '') {
    throw new UsageError(
      `${NAME}: --small-gradient-scale must be a number in [2^-40, 1], e.g. 2^-20 or 1e-6; got ` +
        `${describeValue(value)}.` +
        (x > 0 && x < MIN_SMALL_GRADIENT_SCALE
          ? " Below 2^-40 float32 itself stops training (Adam's gradient² × scale² underflows " +
            'float32), so the ablation would compare nothing.'
          : ''),
    );
  }
  return x;
}

function choice<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(invalidChoice(NAME, `--${flag} value`, value, allowed).message);
  }
  return value as T;
}

/**
 * `--epochs -1` as `--epochs=-1`: node:util's parseArgs takes a value that starts with a dash
 * for a missing value (and suggests `--epochs=-XYZ`); joining a negative number to its flag lets
 * the flag's own check name the value and the allowed range.
 */
function joinNegativeValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const flag = arg.startsWith('--') ? arg.slice(2) : null;
    const next = argv[i + 1];
    const config = flag == null ? undefined : (CLI_FLAGS as Record<string, {type: string}>)[flag];
    if (config?.type === 'string' && next != null && /^-(\d|\.\d|inf)/i.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/**
 * Parses and checks a command line (without `node` and the script). Every flag is checked here,
 * before anything runs; workload files and backend availability are checked when the suite
 * starts.
 * @throws UsageError naming the flag, the bad value and what is allowed.
 * @example parseCli(['--workload', 'mlp', '--epochs', '1']).options.epochs // 1
 */
export function parseCli(argv: readonly string[]): CliCommand {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({values} = parseArgs({
      args: joinNegativeValues(argv),
      options: CLI_FLAGS,
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const flags = Object.keys(CLI_FLAGS)
      .map((f) => `--${f}`)
      .join(', ');
    throw new UsageError(
      `${NAME}: ${message.replace(/\. To specify.*$/s, '')}. Allowed flags: ${flags}. See --help.`,
    );
  }
  const v = values as {
    backend?: string;
    workload?: string[];
    policy?: string[];
    suite?: string;
    epochs?: string;
    steps?: string;
    batch?: string;
    seed?: string;
    train?: string;
    test?: string;
    warmup?: string;
    chunk?: string;
    'small-gradient-scale'?: string;
    'no-ablation'?: boolean;
    out?: string;
    from?: string;
    quiet?: boolean;
    help?: boolean;
  };
  const options: SuiteOptions = {};
  if (v.suite != null) options.suite = choice<SuiteName>('suite', v.suite, SUITE_NAMES);
  if (v.backend != null) options.backend = choice<BackendName>('backend', v.backend, BACKEND_NAMES);
  const workloads = list(v.workload);
  if (workloads != null) {
    if (workloads.length === 0)
      throw new UsageError(
        `${NAME}: --workload is empty. Allowed: ${WORKLOAD_NAMES.join(', ')} or a file.`,
      );
    options.workloads = workloads;
  }
  const policies = list(v.policy);
  if (policies != null) {
    if (policies.length === 0)
      throw new UsageError(`${NAME}: --policy is empty. Allowed: ${POLICY_NAMES.join(', ')}.`);
    options.policies = policies.map((p) => choice<PolicyName>('policy', p, POLICY_NAMES));
  }
  options.epochs = integerFlag('epochs', v.epochs, 1);
  options.stepsPerEpoch = integerFlag('steps', v.steps, 1);
  options.batchSize = integerFlag('batch', v.batch, 1);
  options.seed = integerFlag('seed', v.seed, 0);
  options.trainSize = integerFlag('train', v.train, 1);
  options.testSize = integerFlag('test', v.test, 1);
  options.warmupSteps = integerFlag('warmup', v.warmup, 0);
  options.chunkSteps = integerFlag('chunk', v.chunk, 1);
  options.smallGradientScale = scaleFlag(v['small-gradient-scale']);
  if (v['no-ablation']) options.ablation = false;
  for (const key of Object.keys(options) as (keyof SuiteOptions)[]) {
    if (options[key] === undefined) delete options[key];
  }
  if (v.from != null && Object.keys(options).length > 0) {
    throw new UsageError(
      `${NAME}: --from renders an earlier report and runs nothing; drop ${Object.keys(options).join(', ')}.`,
    );
  }
  return {
    help: v.help === true,
    from: v.from ?? null,
    quiet: v.quiet === true,
    outDir: v.out ?? DEFAULT_OUT_DIR,
    options,
  };
}

/**
 * The shortest command line that reruns a suite with `options`: the preset, plus every flag whose
 * value differs from it.
 * @example reproduceCommand(resolveSuiteOptions({suite: 'full', seed: 3})) // 'tfjs-amp-bench --suite full --seed 3'
 */
export function reproduceCommand(
  options: Omit<ResolvedSuiteOptions, 'workloads'> & {readonly workloads: readonly unknown[]},
): string {
  const base = resolveSuiteOptions({suite: options.suite});
  const parts = [NAME, '--suite', options.suite];
  const list = (xs: readonly unknown[]) =>
    xs.map((x) => (typeof x === 'string' ? x : (x as {name: string}).name)).join(',');
  const flag = (name: string, value: string, baseValue: string) => {
    if (value !== baseValue) parts.push(`--${name}`, value);
  };
  flag('backend', options.backend, base.backend);
  flag('workload', list(options.workloads), list(base.workloads));
  flag('policy', list(options.policies), list(base.policies));
  flag('epochs', String(options.epochs), String(base.epochs));
  flag('steps', String(options.stepsPerEpoch), String(base.stepsPerEpoch));
  flag('batch', String(options.batchSize), String(base.batchSize));
  flag('seed', String(options.seed), String(base.seed));
  flag('train', String(options.trainSize), String(base.trainSize));
  flag('test', String(options.testSize), String(base.testSize));
  flag('warmup', String(options.warmupSteps), String(base.warmupSteps));
  flag('chunk', String(options.chunkSteps), String(base.chunkSteps));
  const scale = (x: number) => (Number.isInteger(Math.log2(x)) ? `2^${Math.log2(x)}` : String(x));
  flag('small-gradient-scale', scale(options.smallGradientScale), scale(base.smallGradientScale));
  if (!options.ablation) parts.push('--no-ablation');
  return parts.join(' ');
}

/** The `--help` text. */
export function helpText(): string {
  const d = DEFAULT_SUITE_OPTIONS;
  return `Usage: ${NAME} [flags]

Trains each workload under float32 and each policy on the same batches, and compares step time,
memory and held-out accuracy side by side. Writes report.json, report.html and report.md.

  --backend NAME     ${BACKEND_NAMES.join(' | ')} (default ${d.backend})
  --workload LIST    ${WORKLOAD_NAMES.join(', ')}, or a file: a saved model.json (MNIST-shaped) or a
                     module exporting a Workload (default ${d.workloads.join(',')})
  --policy LIST      ${POLICY_NAMES.join(', ')}
                     (default ${d.policies.join(',')}; float32 always runs as the baseline)
  --suite NAME       size preset: ${SUITE_NAMES.map((s) => `${s} (${SUITE_PRESETS[s].epochs} epochs)`).join(', ')} (default ${d.suite})
  --epochs N         passes over the training set (overrides the preset)
  --steps N          batches per epoch (default: every full batch)
  --batch N          examples per batch (default: the workload's own, 256 for w1, 512 for w4,
                     ${DEFAULT_BATCH_SIZE} for the others)
  --seed N           seed of weights, split and batch order (default ${d.seed})
  --train N          training examples (default ${d.trainSize}); --test N held-out examples (default ${d.testSize})
  --warmup N         steps per configuration left out of timings (default ${d.warmupSteps})
  --chunk N          steps a configuration trains before the next takes its turn (default ${d.chunkSteps})
  --small-gradient-scale X   loss factor of the ablation's small-gradient scenario, 2^-40 to 1 (default 2^${Math.log2(d.smallGradientScale)})
  --no-ablation      skip the loss-scaling ablation (mixed_float16 without loss scaling)
  --out DIR          report folder (default ./${DEFAULT_OUT_DIR})
  --from FILE        render an earlier report.json again (table, report.html, report.md) without
                     training; findings and notes are recomputed
  --quiet            no progress display
  --precision-schedule [flags]   instead: bf16 early, float32 late vs float32 throughout (time,
                     accuracy); first flag only, see --precision-schedule --help
  -h, --help         this text
`;
}

/** Streams the CLI writes to (replaceable in tests). */
export interface CliIo {
  stdout: {write(text: string): unknown; isTTY?: boolean};
  stderr: {write(text: string): unknown; isTTY?: boolean};
}

/**
 * Runs the CLI: parses flags, runs the suite with a progress display, prints the comparison and
 * writes the reports. Resolves to the exit status: 0 done, 1 the run failed, 2 a bad command line
 * or an unavailable backend.
 */
export async function main(
  argv: readonly string[] = process.argv.slice(2),
  io: CliIo = {stdout: process.stdout, stderr: process.stderr},
): Promise<number> {
  if (argv[0] === '--precision-schedule') return scheduleMain(argv.slice(1), io);
  let command: CliCommand;
  try {
    command = parseCli(argv);
  } catch (err) {
    io.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  if (command.help) {
    io.stdout.write(helpText());
    return 0;
  }
  const progress = createProgress({stream: io.stderr, live: command.quiet ? false : undefined});
  try {
    // Before any training: a bad --out must not cost a whole run (or hang after it).
    const dir = prepareOutputDir(command.outDir);
    let report: SuiteReport;
    if (command.from != null) {
      const earlier = readJsonReport(command.from);
      report = {
        ...earlier,
        ...findings(earlier.runs, earlier.options, earlier.workloads, earlier.machine),
      };
    } else {
      report = await runSuite(command.options, {
        onProgress: command.quiet ? undefined : progress,
      });
    }
    const commandLine = reproduceCommand(report.options);
    report = {...report, command: commandLine};
    progress.done();
    io.stdout.write(`\n${formatTable(report)}\n\n`);
    const jsonPath = writeJsonReport(report, dir);
    const htmlPath = writeHtmlReport(report, dir);
    const mdPath = join(dir, 'report.md');
    writeFileAtomic(mdPath, formatMarkdown(report, commandLine));
    io.stdout.write(`Wrote ${jsonPath}\n      ${htmlPath}\n      ${mdPath}\n`);
    return 0;
  } catch (err) {
    progress.done();
    const usage =
      err instanceof TypeError ||
      err instanceof RangeError ||
      (err as Error)?.name === 'BackendUnavailableError' ||
      (err as Error)?.name === 'ReportFileError' ||
      (err as Error)?.name === 'ModelFileError';
    io.stderr.write(
      `${usage ? '' : `${NAME}: run failed: `}${err instanceof Error ? (usage ? err.message : err.stack) : String(err)}\n`,
    );
    return usage ? 2 : 1;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script == null) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  process.exitCode = await main();
}
