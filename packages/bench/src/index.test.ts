// Export-surface test: the package's public runtime names, one by one. Adding or removing an
// export is a deliberate API change: update this list, the README's API table and add a changeset.
// (Type-only exports are checked by the build's .d.ts, not here.)
import {describe, expect, it} from 'vitest';
import * as api0 from './index.js';

const EXPORTS_0 = [
  'BACKEND_NAMES',
  'BUILT_IN_WORKLOADS',
  'BackendUnavailableError',
  'DEFAULT_BATCH_SIZE',
  'DEFAULT_MNIST_OPTIONS',
  'DEFAULT_SUITE_OPTIONS',
  'MIN_SMALL_GRADIENT_SCALE',
  'MNIST_CLASSES',
  'MNIST_IMAGE_SIZE',
  'MNIST_TOTAL',
  'MODEL_JSON',
  'PARITY_TOLERANCE_PP',
  'REPORT_SCHEMA_VERSION',
  'ReportFileError',
  'RssSampler',
  'SUITE_NAMES',
  'SUITE_PRESETS',
  'WEIGHTS_BIN',
  'WORKLOAD_NAMES',
  'availableBackends',
  'cnnWideWorkload',
  'cnnWorkload',
  'createProgress',
  'defaultLossScaling',
  'describeMachine',
  'formatMarkdown',
  'formatTable',
  'halfPrecisionUnits',
  'isBackendName',
  'loadMnist',
  'machineInfo',
  'makeVariant',
  'mlpWorkload',
  'mnistData',
  'modelDirectoryHandler',
  'parityVerdict',
  'profileStep',
  'quantile',
  'readJsonReport',
  'readModelArtifacts',
  'renderHtml',
  'resolveSuiteOptions',
  'resolveWorkload',
  'runSuite',
  'samplesPerSecond',
  'sequenceWorkload',
  'setupBackend',
  'summarizeStepTimes',
  'toJson',
  'w1Workload',
  'w4Workload',
  'writeHtmlReport',
  'writeJsonReport',
];

describe('@tfjs-amp/bench export surface', () => {
  it('index.ts exports exactly the listed names', () => {
    expect(Object.keys(api0).sort()).toEqual(EXPORTS_0);
  });
});
