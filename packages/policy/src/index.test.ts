// Export-surface test: the package's public runtime names, one by one. Adding or removing an
// export is a deliberate API change: update this list, the README's API table and add a changeset.
// (Type-only exports are checked by the build's .d.ts, not here.)
import {describe, expect, it} from 'vitest';
import * as api0 from './index.js';

const EXPORTS_0 = [
  'DEFAULT_APPLY_POLICY_OPTIONS',
  'INDEX_INPUT_LAYERS',
  'KEEP_FLOAT32_LAYERS',
  'ModelFileError',
  'POLICY_METADATA_KEY',
  'POLICY_NAMES',
  'Policy',
  'VALUE_SELECTING_LAYERS',
  'applyPolicy',
  'checkWeightData',
  'decodeBfloat16Weights',
  'describePolicy',
  'getGlobalPolicy',
  'isPolicyName',
  'loadLayersModelWithPolicy',
  'matchKeepFloat32',
  'planCastPoints',
  'policyOf',
  'policyRootOf',
  'readPolicyRecord',
  'recommendedPolicy',
  'removePolicy',
  'restorePolicy',
  'saveModelWithPolicy',
  'setGlobalPolicy',
];

describe('@tfjs-amp/policy export surface', () => {
  it('index.ts exports exactly the listed names', () => {
    expect(Object.keys(api0).sort()).toEqual(EXPORTS_0);
  });
});

import * as node from './node/index.js';

describe('@tfjs-amp/policy/node export surface', () => {
  it('node/index.ts exports exactly the model-file helpers', () => {
    expect(Object.keys(node).sort()).toEqual([
      'MODEL_JSON',
      'WEIGHTS_BIN',
      'modelDirectoryHandler',
      'readModelArtifacts',
    ]);
  });
});
