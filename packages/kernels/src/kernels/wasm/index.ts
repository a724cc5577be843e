import type {KernelConfig} from '@tensorflow/tfjs';
import {ampQuantizeConfig} from './AmpQuantize.js';
import {batchMatMulConfig} from './BatchMatMul.js';
import {conv2DConfig} from './Conv2D.js';
import {conv2DBackpropFilterConfig} from './Conv2DBackpropFilter.js';
import {conv2DBackpropInputConfig} from './Conv2DBackpropInput.js';
import {depthwiseConv2dNativeConfig} from './DepthwiseConv2dNative.js';
import {depthwiseConv2dNativeBackpropFilterConfig} from './DepthwiseConv2dNativeBackpropFilter.js';
import {depthwiseConv2dNativeBackpropInputConfig} from './DepthwiseConv2dNativeBackpropInput.js';
import {fusedConv2DConfig} from './FusedConv2D.js';
import {fusedDepthwiseConv2DConfig} from './FusedDepthwiseConv2D.js';
import {maxConfig} from './Max.js';
import {meanConfig} from './Mean.js';
import {minConfig} from './Min.js';
import {prodConfig} from './Prod.js';
import {sumConfig} from './Sum.js';
import {tileConfig} from './Tile.js';
import {unsortedSegmentSumConfig} from './UnsortedSegmentSum.js';
import {fusedMatMulConfig} from './_FusedMatMul.js';

/** tfjs-amp's own kernels for the `wasm` backend (ones it lacks), sorted by kernel name. */
export const wasmKernelConfigs: readonly KernelConfig[] = [
  ampQuantizeConfig,
  conv2DBackpropFilterConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  unsortedSegmentSumConfig,
];

/**
 * Kernels that replace tfjs-backend-wasm's own (which they call), sorted by kernel name.
 * Installed once the wasm backend has registered the originals. The forward convolutions and the
 * reductions only fix the stock kernels' empty cases (heap corruption, or stale heap memory
 * instead of the cpu backend's values) and run the stock kernel otherwise; `Conv2DBackpropInput`
 * is a faster NHWC lowering (one matrix product, then col2im) and runs the stock kernel for NCHW;
 * `Tile` copies blocks instead of indexing each element (float32 and int32; stock otherwise).
 */
export const wasmKernelOverrides: readonly KernelConfig[] = [
  batchMatMulConfig,
  conv2DConfig,
  conv2DBackpropInputConfig,
  depthwiseConv2dNativeConfig,
  fusedConv2DConfig,
  fusedDepthwiseConv2DConfig,
  maxConfig,
  meanConfig,
  minConfig,
  prodConfig,
  sumConfig,
  tileConfig,
  fusedMatMulConfig,
];
