// `tfjs-amp-bench --precision-schedule [flags]`: bf16 early, float32 late vs float32 throughout.
import {parseArgs} from 'node:util';
import {describeValue} from './internal/errors.js';
import {
  DEFAULT_SCHEDULE_COMPARISON_OPTIONS,
  formatScheduleComparison,
  runScheduleComparison,
  type ScheduleComparisonOptions,
} from './precision-schedule-run.js';

const NAME = 'tfjs-amp-bench --precision-schedule';

/** Flags of the `--precision-schedule` mode (node:util parseArgs config). */
export const SCHEDULE_FLAGS = {
  backend: {type: 'string'},
  epochs: {type: 'string'},
  'switch-epoch': {type: 'string'},
  early: {type: 'string'},
  late: {type: 'string'},
  batch: {type: 'string'},
  train: {type: 'string'},
  test: {type: 'string'},
  seed: {type: 'string'},
  help: {type: 'boolean', short: 'h'},
} as const;

/** The `--precision-schedule --help` text. */
export function scheduleHelpText(): string {
  const d = DEFAULT_SCHEDULE_COMPARISON_OPTIONS;
  return `Usage: ${NAME} [flags]

Trains the mlp workload twice from the same weights on the same batches, taking turns by epoch:
float32 throughout, and ${d.early} early then ${d.late} late (switched by precisionSchedule of
@tfjs-amp/callbacks). Prints each run's time, time vs float32, training loss and test accuracy.

  --backend NAME      tfjs backend (default ${d.backend})
  --epochs N          epochs of both runs, at least 2 (default ${d.epochs})
  --switch-epoch N    first epoch of the late policy (default: half of --epochs, rounded up)
  --early POLICY      policy of the early epochs (default ${d.early})
  --late POLICY       policy of the late epochs (default ${d.late})
  --batch N           examples per batch (default 64); --train N, --test N (default ${d.trainSize}, ${d.testSize})
  --seed N            seed of weights and split (default ${d.seed})
`;
}

function integer(flag: string, value: string | undefined): number | undefined {
  if (value == null) return undefined;
  if (!/^\d+$/.test(value)) {
    throw new RangeError(
      `${NAME}: --${flag} must be a non-negative integer; got ${describeValue(value)}.`,
    );
  }
  return Number(value);
}

/**
 * Parses the flags of the `--precision-schedule` mode into options.
 * @throws TypeError for an unknown flag; RangeError for a value that is not an integer.
 */
export function parseScheduleArgs(argv: readonly string[]): {
  help: boolean;
  options: ScheduleComparisonOptions;
} {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({values} = parseArgs({
      args: [...argv],
      options: SCHEDULE_FLAGS,
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    const flags = Object.keys(SCHEDULE_FLAGS)
      .map((f) => `--${f}`)
      .join(', ');
    throw new TypeError(
      `${NAME}: ${err instanceof Error ? err.message.replace(/\. To specify.*$/s, '') : String(err)}. Allowed flags: ${flags}.`,
    );
  }
  const v = values as Record<string, string | undefined> & {help?: boolean};
  const options: ScheduleComparisonOptions = {
    backend: v.backend,
    epochs: integer('epochs', v.epochs),
    switchEpoch: integer('switch-epoch', v['switch-epoch']),
    early: v.early as ScheduleComparisonOptions['early'],
    late: v.late as ScheduleComparisonOptions['late'],
    batchSize: integer('batch', v.batch),
    trainSize: integer('train', v.train),
    testSize: integer('test', v.test),
    seed: integer('seed', v.seed),
  };
  for (const key of Object.keys(options) as (keyof ScheduleComparisonOptions)[]) {
    if (options[key] === undefined) delete options[key];
  }
  return {help: v.help === true, options};
}

/**
 * Runs the mode: resolves to the exit status (0 done, 1 the run failed, 2 a bad flag or an
 * unavailable backend).
 */
export async function scheduleMain(
  argv: readonly string[],
  io: {stdout: {write(text: string): unknown}; stderr: {write(text: string): unknown}},
): Promise<number> {
  try {
    const {help, options} = parseScheduleArgs(argv);
    if (help) {
      io.stdout.write(scheduleHelpText());
      return 0;
    }
    const result = await runScheduleComparison(options);
    io.stdout.write(`${formatScheduleComparison(result)}\n`);
    return 0;
  } catch (err) {
    const usage =
      err instanceof TypeError ||
      err instanceof RangeError ||
      (err as Error)?.name === 'BackendUnavailableError';
    io.stderr.write(
      `${usage ? '' : `${NAME}: run failed: `}${err instanceof Error ? (usage ? err.message : err.stack) : String(err)}\n`,
    );
    return usage ? 2 : 1;
  }
}
