import {POLICY_NAMES, type PolicyName, isPolicyName} from '@tfjs-amp/policy';
import {BACKEND_NAMES, type BackendName, isBackendName} from './backends.js';
import {MNIST_TOTAL} from './data/mnist.js';
import {
  checkInteger,
  describeValue,
  invalidChoice,
  outOfRange,
  wrongType,
} from './internal/errors.js';
import {BUILT_IN_WORKLOADS, WORKLOAD_NAMES, isWorkloadPath} from './workloads/index.js';
import type {Workload} from './workloads/workload.js';

/** Named suite sizes: `quick` is what `npm start` runs, `full` produced the README table. */
export type SuiteName = 'quick' | 'full';

/** Names of the presets in {@link SUITE_PRESETS}, sorted. */
export const SUITE_NAMES: readonly SuiteName[] = Object.freeze(['full', 'quick'] as SuiteName[]);

/**
 * Options of {@link runSuite}. Every field is optional; a preset ({@link SUITE_PRESETS}) fills
 * the sizes, {@link DEFAULT_SUITE_OPTIONS} the rest.
 */
export interface SuiteOptions {
  /** Size preset the other fields start from. Default `quick`. */
  suite?: SuiteName;
  /** tfjs backend. Default `wasm`, the fastest embedded backend in Node.js. */
  backend?: BackendName;
  /** Built-in names (`mlp`, `cnn`, `sequence`), file paths, or Workload objects. Default mlp, cnn. */
  workloads?: readonly (string | Workload)[];
  /**
   * Policies to compare. `float32`, the baseline every ratio is taken against, is always run
   * (first) even when missing here. Default float32, mixed_float16, mixed_bfloat16.
   */
  policies?: readonly PolicyName[];
  /** Passes over the training set. Preset: quick 3, full 8. */
  epochs?: number;
  /** Batches per epoch; null for every full batch of the training set. Default null. */
  stepsPerEpoch?: number | null;
  /**
   * Examples per batch, for every workload; null (the default) for each workload's own batch size
   * ({@link Workload.batchSize}: 256 for `w1`, 512 for `w4`), else {@link DEFAULT_BATCH_SIZE} (64).
   */
  batchSize?: number | null;
  /** Seed of weights, data split and batch order. Default 0. */
  seed?: number;
  /** Training examples (MNIST workloads have 10,000 digits in all). Preset: quick 8000, full 8000. */
  trainSize?: number;
  /** Held-out examples for the accuracy. Default 2000. */
  testSize?: number;
  /** Steps of each configuration left out of the step-time statistics. Default 10. */
  warmupSteps?: number;
  /**
   * Steps one configuration trains before the next takes its turn. Configurations of a workload
   * train in turns on the same batches, so a slow phase of the machine hits them all alike.
   * Default 25.
   */
  chunkSteps?: number;
  /**
   * Run the loss-scaling ablation on the first workload: `mixed_float16` without loss scaling
   * at normal settings, and float32 / mixed_float16 with and without loss scaling on a loss
   * multiplied by `smallGradientScale`. Default true.
   */
  ablation?: boolean;
  /**
   * Factor the ablation's "small gradients" scenario multiplies the loss by (Adam's epsilon is
   * scaled with it, so float32 trains exactly as before), pushing gradients below float16's
   * smallest subnormal. Default `2 ** -20`; at least {@link MIN_SMALL_GRADIENT_SCALE} (2^-40).
   */
  smallGradientScale?: number;
}

/** Options with every field filled in. */
export interface ResolvedSuiteOptions {
  readonly suite: SuiteName;
  readonly backend: BackendName;
  readonly workloads: readonly (string | Workload)[];
  readonly policies: readonly PolicyName[];
  readonly epochs: number;
  readonly stepsPerEpoch: number | null;
  readonly batchSize: number | null;
  readonly seed: number;
  readonly trainSize: number;
  readonly testSize: number;
  readonly warmupSteps: number;
  readonly chunkSteps: number;
  readonly ablation: boolean;
  readonly smallGradientScale: number;
}

/** Batch size of workloads that do not set their own, when `batchSize` is not given. */
export const DEFAULT_BATCH_SIZE = 64;

/** Defaults that do not depend on the preset. */
export const DEFAULT_SUITE_OPTIONS: ResolvedSuiteOptions = Object.freeze({
  suite: 'quick',
  backend: 'wasm',
  workloads: Object.freeze(['mlp', 'cnn']),
  policies: Object.freeze(['float32', 'mixed_float16', 'mixed_bfloat16'] as PolicyName[]),
  epochs: 3,
  stepsPerEpoch: null,
  batchSize: null,
  seed: 0,
  trainSize: 8000,
  testSize: 2000,
  warmupSteps: 10,
  chunkSteps: 25,
  ablation: true,
  smallGradientScale: 2 ** -20,
});

/** Size presets: the fields each one sets over {@link DEFAULT_SUITE_OPTIONS}. */
export const SUITE_PRESETS: Readonly<Record<SuiteName, Readonly<SuiteOptions>>> = Object.freeze({
  quick: Object.freeze({epochs: 3}),
  full: Object.freeze({epochs: 8}),
});

/**
 * Smallest `smallGradientScale` allowed: 2^-40. Below it float32 itself stops training as at
 * scale 1, because Adam's second moment (gradient² × scale²) underflows float32's range (about
 * 1e-38): measured on the mlp, float32's loss curve is bit for bit the same down to 2^-30, within
 * 1.5e-7 at 2^-40, 0.4% off at 2^-50, and at 2^-60 it no longer trains (8.6% accuracy). The
 * ablation compares float16 against a float32 that trains normally, so the scale must leave
 * float32 alone.
 */
export const MIN_SMALL_GRADIENT_SCALE = 2 ** -40;

const WHERE = 'tfjs-amp-bench';

const OPTION_NAMES = Object.freeze(Object.keys(DEFAULT_SUITE_OPTIONS).sort());

/**
 * Checks `options`, applies the preset and the defaults, and puts `float32` first among the
 * policies. Nothing runs before every option is checked.
 * @throws TypeError for an unknown option, name or wrong type; RangeError for a number out of
 *   range. Messages name the option, the value and what is allowed.
 */
export function resolveSuiteOptions(options: SuiteOptions = {}): ResolvedSuiteOptions {
  if (options == null || typeof options !== 'object' || Array.isArray(options)) {
    throw wrongType(WHERE, 'options', 'an object of SuiteOptions', describeValue(options));
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.includes(key)) throw invalidChoice(WHERE, 'option', key, OPTION_NAMES);
  }
  const suite = options.suite ?? DEFAULT_SUITE_OPTIONS.suite;
  if (!SUITE_NAMES.includes(suite)) throw invalidChoice(WHERE, 'suite', suite, SUITE_NAMES);
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const o = {...DEFAULT_SUITE_OPTIONS, ...SUITE_PRESETS[suite], ...given} as ResolvedSuiteOptions;

  if (!isBackendName(o.backend)) throw invalidChoice(WHERE, 'backend', o.backend, BACKEND_NAMES);
  if (!Array.isArray(o.workloads) || o.workloads.length === 0) {
    throw wrongType(WHERE, 'workloads', 'a non-empty list', describeValue(o.workloads));
  }
  if (!Array.isArray(o.policies) || o.policies.length === 0) {
    throw wrongType(WHERE, 'policies', 'a non-empty list', describeValue(o.policies));
  }
  for (const p of o.policies) {
    if (!isPolicyName(p)) throw invalidChoice(WHERE, 'policy', p, POLICY_NAMES);
  }
  const policies = [...new Set<PolicyName>(['float32', ...o.policies])];
  checkInteger(WHERE, 'epochs', o.epochs, 1);
  if (o.stepsPerEpoch !== null) checkInteger(WHERE, 'stepsPerEpoch (--steps)', o.stepsPerEpoch, 1);
  if (o.batchSize !== null) checkInteger(WHERE, 'batchSize (--batch)', o.batchSize, 1, 4096);
  checkInteger(WHERE, 'seed', o.seed, 0, 0xffffffff);
  checkInteger(WHERE, 'trainSize', o.trainSize, 1);
  checkInteger(WHERE, 'testSize', o.testSize, 1);
  if (o.batchSize !== null && o.trainSize < o.batchSize) {
    throw outOfRange(WHERE, 'trainSize', `at least batchSize (${o.batchSize})`, o.trainSize);
  }
  // Built-in workloads say how many examples their data holds (synthetic data: any number);
  // files are MNIST-shaped models or user modules, held to MNIST's 10,000 as before.
  const usesMnist = o.workloads.some(
    (w) =>
      typeof w === 'string' &&
      (!Object.hasOwn(BUILT_IN_WORKLOADS, w) || BUILT_IN_WORKLOADS[w]!.maxExamples != null),
  );
  if (usesMnist && o.trainSize + o.testSize > MNIST_TOTAL) {
    throw new RangeError(
      `${WHERE}: trainSize + testSize must be at most ${MNIST_TOTAL} for MNIST workloads; got ` +
        `${o.trainSize} + ${o.testSize}.`,
    );
  }
  checkInteger(WHERE, 'warmupSteps', o.warmupSteps, 0);
  checkInteger(WHERE, 'chunkSteps', o.chunkSteps, 1);
  if (typeof o.ablation !== 'boolean') {
    throw wrongType(WHERE, 'ablation', 'a boolean', describeValue(o.ablation));
  }
  if (
    typeof o.smallGradientScale !== 'number' ||
    !(o.smallGradientScale >= MIN_SMALL_GRADIENT_SCALE && o.smallGradientScale <= 1)
  ) {
    throw new RangeError(
      `${WHERE}: smallGradientScale (--small-gradient-scale) must be in [2^-40, 1]; got ` +
        `${describeValue(o.smallGradientScale)}. Below 2^-40 float32 itself stops training ` +
        "(Adam's gradient² × scale² underflows float32), so the ablation would compare nothing; " +
        "2^-20 already pushes gradients below float16's range.",
    );
  }
  for (const w of o.workloads) {
    if (typeof w === 'string') {
      if (!Object.hasOwn(BUILT_IN_WORKLOADS, w) && !isWorkloadPath(w)) {
        throw invalidChoice(
          WHERE,
          'workload',
          w,
          WORKLOAD_NAMES,
          'Or pass a file: a saved model.json or a module exporting a Workload.',
        );
      }
    } else if (w == null || typeof w !== 'object' || typeof w.buildModel !== 'function') {
      throw wrongType(
        WHERE,
        'every workload',
        'a name, a file path or a Workload',
        describeValue(w),
      );
    }
  }
  const workloadNames = o.workloads.map((w) => (typeof w === 'string' ? w : w.name));
  const dup = workloadNames.find((n, i) => workloadNames.indexOf(n) !== i);
  if (dup != null) throw new TypeError(`${WHERE}: workload '${dup}' is listed twice.`);
  return Object.freeze({...o, policies: Object.freeze(policies)});
}
