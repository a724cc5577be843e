// Export-surface test: the package's public runtime names, one by one. Adding or removing an
// export is a deliberate API change: update this list, the README's API table and add a changeset.
// (Type-only exports are checked by the build's .d.ts, not here.)
import {describe, expect, it} from 'vitest';
import * as api0 from './index.js';

const EXPORTS_0 = [
  'COUNTER_NAMES',
  'DEFAULT_LOSS_SCALE_OPTIONS',
  'DEVICE_MODE_BACKENDS',
  'FLOAT32_MAX',
  'LOSS_SCALE_MODES',
  'LOSS_SCALE_OPTION_NAMES',
  'LossScaleOptimizer',
  'STATE_WEIGHT_NAMES',
  'STATE_WEIGHT_PREFIX',
  'initialScaleState',
  'nextScale',
  'nextScaleOnDevice',
  'resolveLossScaleOptions',
  'stepModeFor',
];

describe('@tfjs-amp/loss-scale export surface', () => {
  it('index.ts exports exactly the listed names', () => {
    expect(Object.keys(api0).sort()).toEqual(EXPORTS_0);
  });
});
