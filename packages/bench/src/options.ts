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
  /** Examples per batch. Default 64. */
  batchSize?: number;
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
   * smallest subnormal. Default `2 ** -20`.
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
  readonly batchSize: number;
  readonly seed: number;
  readonly trainSize: number;
  readonly testSize: number;
  readonly warmupSteps: number;
  readonly chunkSteps: number;
  readonly ablation: boolean;
  readonly smallGradientScale: number;
}

/** Defaults that do not depend on the preset. */
export const DEFAULT_SUITE_OPTIONS: ResolvedSuiteOptions = Object.freeze({
  suite: 'quick',
  backend: 'wasm',
  workloads: Object.freeze(['mlp', 'cnn']),
  policies: Object.freeze(['float32', 'mixed_float16', 'mixed_bfloat16'] as PolicyName[]),
  epochs: 3,
  stepsPerEpoch: null,
  batchSize: 64,
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
  checkInteger(WHERE, 'batchSize (--batch)', o.batchSize, 1, 4096);
  checkInteger(WHERE, 'seed', o.seed, 0, 0xffffffff);
  checkInteger(WHERE, 'trainSize', o.trainSize, 1);
  checkInteger(WHERE, 'testSize', o.testSize, 1);
  if (o.trainSize < o.batchSize) {
    throw outOfRange(WHERE, 'trainSize', `at least batchSize (${o.batchSize})`, o.trainSize);
  }
  const usesMnist = o.workloads.some((w) => typeof w === 'string');
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
    !(o.smallGradientScale > 0 && o.smallGradientScale <= 1)
  ) {
    throw outOfRange(WHERE, 'smallGradientScale', 'in (0, 1]', o.smallGradientScale);
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
