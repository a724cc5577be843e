// @tfjs-amp/bench: float32 vs mixed precision on a model and backend, measured side by side:
// step time, memory, accuracy, loss scaling. Library behind the `tfjs-amp-bench` CLI.

// Running a suite
export {runSuite} from './run-suite.js';
export type {RunSuiteHooks} from './run-suite.js';
export {
  DEFAULT_BATCH_SIZE,
  DEFAULT_SUITE_OPTIONS,
  MIN_SMALL_GRADIENT_SCALE,
  SUITE_NAMES,
  SUITE_PRESETS,
  resolveSuiteOptions,
} from './options.js';
export type {ResolvedSuiteOptions, SuiteName, SuiteOptions} from './options.js';
export {defaultLossScaling, makeVariant} from './variants.js';
export type {LossScaling, RunVariant} from './variants.js';
export type {ProgressEvent} from './train/train-group.js';
export type {StepEvent} from './train/variant-trainer.js';

// Backends
export {
  BACKEND_NAMES,
  BackendUnavailableError,
  availableBackends,
  isBackendName,
  setupBackend,
} from './backends.js';
export type {BackendName} from './backends.js';

// Workloads and data
export {
  BUILT_IN_WORKLOADS,
  WORKLOAD_NAMES,
  cnnWideWorkload,
  cnnWorkload,
  mlpWorkload,
  resolveWorkload,
  sequenceWorkload,
  w1Workload,
  w4Workload,
} from './workloads/index.js';
export type {Workload, WorkloadData, WorkloadDataOptions} from './workloads/index.js';
// MNIST loading: @tfjs-amp/bench/data. Model files on disk: @tfjs-amp/policy/node.

// Measurements
export {quantile, samplesPerSecond, summarizeStepTimes} from './measure/step-time.js';
export type {StepTimeStats} from './measure/step-time.js';
export {RssSampler, profileStep} from './measure/memory.js';
export type {MemoryStats, StepProfile} from './measure/memory.js';
export {describeMachine, halfPrecisionUnits, machineInfo} from './measure/machine.js';

// Reports
export {PARITY_TOLERANCE_PP, REPORT_SCHEMA_VERSION} from './suite-report.js';
export type {
  ExecutionSummary,
  MachineInfo,
  ParityCheck,
  RunReport,
  ScenarioName,
  SuiteReport,
  WorkloadReport,
} from './suite-report.js';
export {formatMarkdown, formatTable} from './report/table.js';
export {readJsonReport, toJson, writeJsonReport} from './report/json.js';
export {ReportFileError} from './report/output-files.js';
export {parityVerdict} from './report/findings.js';
export type {ParityStatus} from './report/findings.js';
export {renderHtml, writeHtmlReport} from './report/html.js';
export {createProgress} from './report/progress.js';
export type {ProgressOptions} from './report/progress.js';
