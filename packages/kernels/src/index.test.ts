// Export-surface test: the package's public runtime names, one by one. Adding or removing an
// export is a deliberate API change: update this list, the README's API table and add a changeset.
// (Type-only exports are checked by the build's .d.ts, not here.)
import {describe, expect, it} from 'vitest';
import * as api0 from './index.js';
import * as api1 from './shared/index.js';
import * as api2 from './shared/node.js';

const EXPORTS_0 = [
  'AmpQuantize',
  'CPU_FLAGS_OF_INTEREST',
  'FORMAT_NAMES',
  'FUSED_MAT_MUL_ACTIVATIONS',
  'NATIVE_DISPATCH_MODES',
  'SMALL_PRODUCT_MACS',
  'asNodeBackend',
  'cpuFeatures',
  'decode',
  'dropHalfCopies',
  'encode',
  'ensureAmpKernels',
  'fasterThanFloat32',
  'fusedConv2d',
  'fusedMatMul',
  'getComputeFormat',
  'getFormat',
  'getNativeDispatch',
  'isFormatName',
  'nativeBackendInfo',
  'nativeKernelReport',
  'nativeKernelSupport',
  'nativeMemory',
  'parseCpuInfo',
  'quantize',
  'registerAmpKernels',
  'relu',
  'requestShaderF16',
  'resetNativeMemoryPeak',
  'roundArray',
  'setNativeDispatch',
  'trackTensorBytes',
  'withComputeFormat',
];

const EXPORTS_1 = [
  'CPU_FLAGS_OF_INTEREST',
  'checkInteger',
  'cpuFeatures',
  'describeValue',
  'invalidChoice',
  'outOfRange',
  'parseCpuInfo',
  'quantile',
  'timeRatio',
  'warnOnce',
  'wrongType',
  'wrongTypeOf',
];

const EXPORTS_2 = ['tfjsNodeBindingPresent'];

describe('@tfjs-amp/kernels export surface', () => {
  it('index.ts exports exactly the listed names', () => {
    expect(Object.keys(api0).sort()).toEqual(EXPORTS_0);
  });
  it('shared/index.ts (@tfjs-amp/kernels/shared) exports exactly the listed names', () => {
    expect(Object.keys(api1).sort()).toEqual(EXPORTS_1);
  });
  it('shared/node.ts (@tfjs-amp/kernels/shared/node) exports exactly the listed names', () => {
    expect(Object.keys(api2).sort()).toEqual(EXPORTS_2);
  });
});
