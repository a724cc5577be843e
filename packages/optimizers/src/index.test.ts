// Export-surface test: the package's public runtime names, one by one. Adding or removing an
// export is a deliberate API change: update this list, the README's API table and add a changeset.
// (Type-only exports are checked by the build's .d.ts, not here.)
import {describe, expect, it} from 'vitest';
import * as api0 from './index.js';

const EXPORTS_0 = [
  'AdamW',
  'BUILT_IN_SLOT_FIELDS',
  'CONVENTIONS',
  'DEFAULT_ADAMW_OPTIONS',
  'DEFAULT_NADAM_OPTIONS',
  'DEFAULT_ROUNDED_STATE_OPTIONS',
  'DEFAULT_STORAGE_PRECISION_OPTIONS',
  'FUSED_OPTIMIZER_NAMES',
  'FUSED_RULES',
  'FusedOptimizer',
  'Nadam',
  'OPTIMIZER_STATE',
  'RoundedStateOptimizer',
  'STORAGE_FORMATS',
  'STORAGE_ROUNDINGS',
  'adamw',
  'fuseOptimizer',
  'fusedRuleFor',
  'nadam',
  'roundOptimizerState',
  'stateBytes',
];

describe('@tfjs-amp/optimizers export surface', () => {
  it('index.ts exports exactly the listed names', () => {
    expect(Object.keys(api0).sort()).toEqual(EXPORTS_0);
  });
});
