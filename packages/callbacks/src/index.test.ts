// Export-surface test: the package's public runtime names, one by one. Adding or removing an
// export is a deliberate API change: update this list, the README's API table and add a changeset.
// (Type-only exports are checked by the build's .d.ts, not here.)
import {describe, expect, it} from 'vitest';
import * as api0 from './index.js';

const EXPORTS_0 = [
  'AmpProgress',
  'DEFAULT_AMP_PROGRESS_OPTIONS',
  'DEFAULT_LOSS_SCALE_MONITOR_OPTIONS',
  'DEFAULT_LOSS_THRESHOLD_RULE_OPTIONS',
  'DEFAULT_NUMERICS_MONITOR_OPTIONS',
  'DEFAULT_PRECISION_FALLBACK_OPTIONS',
  'DEFAULT_PRECISION_RULE_OPTIONS',
  'DEFAULT_PRECISION_SCHEDULE_OPTIONS',
  'DEFAULT_TERMINATE_ON_NAN_OPTIONS',
  'LossScaleMonitor',
  'NonFiniteLossError',
  'NumericsMonitor',
  'PrecisionFallback',
  'PrecisionRule',
  'PrecisionSchedule',
  'TerminateOnNaN',
  'ampProgress',
  'combineCallbacks',
  'lossScaleMonitor',
  'lossThresholdRule',
  'numericsMonitor',
  'precisionFallback',
  'precisionRule',
  'precisionSchedule',
  'terminateOnNaN',
];

describe('@tfjs-amp/callbacks export surface', () => {
  it('index.ts exports exactly the listed names', () => {
    expect(Object.keys(api0).sort()).toEqual(EXPORTS_0);
  });
});
