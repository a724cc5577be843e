// Export-surface test: the helpers the packages' tests and benchmarks import, one by one.
// Adding or removing one is deliberate: update this list.
import {describe, expect, it} from 'vitest';
import * as api from './index.js';

const EXPORTS = [
  'NativeOpSpy',
  'README_SKIP_MARKER',
  'TFJS_NODE_HOW_TO_INCLUDE',
  'announceSkip',
  'compareRuns',
  'compareSeries',
  'describeBackends',
  'describeReadmeSamples',
  'describeWithTfjsNode',
  'expectBitsEqual',
  'expectNoLeaks',
  'f32Bits',
  'f32FromBits',
  'formatComparisons',
  'formatRatio',
  'isBackendAvailable',
  'machineLine',
  'nodeBackendRequired',
  'nodeBindingPresent',
  'readmeSamples',
  'reportComparisons',
  'reportSeries',
  'runQuietly',
  'runReadmeSample',
  'tensorCounts',
  'timeStats',
  'useBackend',
];

describe('@tfjs-amp/test-utils export surface', () => {
  it('index.ts exports exactly the listed names', () => {
    expect(Object.keys(api).sort()).toEqual(EXPORTS);
  });
});
