import type {KernelConfig} from '@tensorflow/tfjs';
import {ampBiasGradConfig} from './AmpBiasGrad.js';
import {ampQuantizeConfig} from './AmpQuantize.js';
import {ampReluGradConfig} from './AmpReluGrad.js';
import {batchMatMulConfig} from './BatchMatMul.js';
import {castConfig} from './Cast.js';
import {conv2DConfig} from './Conv2D.js';
import {conv2DBackpropFilterConfig} from './Conv2DBackpropFilter.js';
import {conv2DBackpropInputConfig} from './Conv2DBackpropInput.js';
import {depthwiseConv2dNativeConfig} from './DepthwiseConv2dNative.js';
import {depthwiseConv2dNativeBackpropFilterConfig} from './DepthwiseConv2dNativeBackpropFilter.js';
import {depthwiseConv2dNativeBackpropInputConfig} from './DepthwiseConv2dNativeBackpropInput.js';
import {fusedConv2DConfig} from './FusedConv2D.js';
import {fusedDepthwiseConv2DConfig} from './FusedDepthwiseConv2D.js';
import {fusedMatMulConfig} from './_FusedMatMul.js';
import {maxPoolConfig} from './MaxPool.js';
import {maxPoolGradConfig} from './MaxPoolGrad.js';
import {reluConfig} from './Relu.js';
import {reshapeConfig} from './Reshape.js';
import {stepConfig} from './Step.js';

/** tfjs-amp's own kernels for the `tensorflow` backend (tfjs-node), sorted by kernel name. */
export const tensorflowKernelConfigs: readonly KernelConfig[] = [
  ampBiasGradConfig,
  ampQuantizeConfig,
  ampReluGradConfig,
];

/**
 * Kernels that replace tfjs-node's own (which they delegate to outside a compute-format context),
 * sorted by kernel name. Installed only once tfjs-node has registered the originals.
 */
export const tensorflowKernelOverrides: readonly KernelConfig[] = [
  batchMatMulConfig,
  castConfig,
  conv2DConfig,
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  depthwiseConv2dNativeConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  fusedConv2DConfig,
  fusedDepthwiseConv2DConfig,
  maxPoolConfig,
  maxPoolGradConfig,
  reluConfig,
  reshapeConfig,
  stepConfig,
  fusedMatMulConfig,
];
