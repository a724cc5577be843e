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
  'DEFAULT_SUITE_OPTIONS',
  'MIN_SMALL_GRADIENT_SCALE',
  'PARITY_TOLERANCE_PP',
  'REPORT_SCHEMA_VERSION',
  'ReportFileError',
  'RssSampler',
  'SUITE_NAMES',
  'SUITE_PRESETS',
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
  'machineInfo',
  'makeVariant',
  'mlpWorkload',
  'parityVerdict',
  'profileStep',
  'quantile',
  'readJsonReport',
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

import * as data from './data/index.js';

describe('@tfjs-amp/bench/data export surface', () => {
  it('data/index.ts exports exactly the MNIST helpers', () => {
    expect(Object.keys(data).sort()).toEqual([
      'DEFAULT_MNIST_OPTIONS',
      'MNIST_CLASSES',
      'MNIST_IMAGE_SIZE',
      'MNIST_TOTAL',
      'loadMnist',
      'mnistData',
    ]);
  });
});
