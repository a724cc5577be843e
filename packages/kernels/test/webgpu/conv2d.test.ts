import * as tf from '@tensorflow/tfjs';
import {expectNoLeaks} from '@tfjs-amp/test-utils';
import {beforeAll, expect, it} from 'vitest';
import {withComputeFormat} from '../../src/index.js';
import {
  type ConvProblem,
  convOracles,
  convOutShape,
  expectMatchesOracle,
  values,
} from '../tensorflow/support.js';
import {describeWithWebGPU, useWebGPU, webgpuDataIds} from './support.js';

/** Padding, strides, dilations and ragged sizes; depthwise with a channel multiplier of 2. */
const PROBLEMS: ReadonlyArray<[string, ConvProblem]> = [
  ['3×3 same', {x: [2, 7, 6, 5], filter: [3, 3, 5, 4], strides: 1, pad: 'same', depthwise: false}],
  [
    '3×3 valid stride 2',
    {x: [1, 9, 8, 3], filter: [3, 3, 3, 6], strides: 2, pad: 'valid', depthwise: false},
  ],
  [
    '2×2 same stride 2',
    {x: [2, 6, 7, 4], filter: [2, 2, 4, 3], strides: 2, pad: 'same', depthwise: false},
  ],
  [
    '3×3 dilation 2',
    {
      x: [1, 9, 9, 2],
      filter: [3, 3, 2, 3],
      strides: 1,
      pad: 'same',
      dilations: 2,
      depthwise: false,
    },
  ],
  [
    'depthwise 3×3 same ×2',
    {x: [2, 6, 5, 3], filter: [3, 3, 3, 2], strides: 1, pad: 'same', depthwise: true},
  ],
  [
    'depthwise 3×3 valid stride 2',
    {x: [1, 8, 9, 4], filter: [3, 3, 4, 1], strides: 2, pad: 'valid', depthwise: true},
  ],
];

function conv(p: ConvProblem, x: tf.Tensor4D, f: tf.Tensor4D): tf.Tensor4D {
  return p.depthwise
    ? tf.depthwiseConv2d(x, f, p.strides, p.pad as 'same' | 'valid', 'NHWC', p.dilations ?? 1)
    : tf.conv2d(x, f, p.strides, p.pad as 'same' | 'valid', 'NHWC', p.dilations ?? 1);
}

await describeWithWebGPU(
  'Conv2D and DepthwiseConv2dNative families on webgpu (WGSL, float16)',
  () => {
    beforeAll(useWebGPU);

    it.each(PROBLEMS)(
      '%s: forward (and, undilated, input and filter gradients) match their float64 oracles',
      async (_label, p) => {
        const xs = values(tf.util.sizeFromShape(p.x), 31, 'float16');
        const fs = values(tf.util.sizeFromShape(p.filter), 32, 'float16');
        const yShape = convOutShape(p);
        const dys = values(tf.util.sizeFromShape(yShape), 33, 'float16');
        // tfjs has no gradient for dilated convolutions: those check the forward kernel only.
        const backward = (p.dilations ?? 1) === 1;
        const ids = webgpuDataIds();
        const [y, dx, df] = await expectNoLeaks(async () => {
          const x = tf.tensor4d(xs, p.x);
          const f = tf.tensor4d(fs, p.filter);
          const dy = tf.tensor(dys, yShape);
          const fwd = withComputeFormat('float16', () => conv(p, x, f));
          const y = (await fwd.data()) as Float32Array;
          tf.dispose(fwd);
          if (!backward) {
            tf.dispose([x, f, dy]);
            return [y, null, null];
          }
          // The backward kernels inherit float16 from the forward kernel (backward marks).
          const [gx, gf] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
            withComputeFormat('float16', () => conv(p, a as tf.Tensor4D, b as tf.Tensor4D)),
          )([x, f], dy);
          const out = [y, (await gx!.data()) as Float32Array, (await gf!.data()) as Float32Array];
          tf.dispose([x, f, dy, gx!, gf!]);
          return out;
        });
        const oracles = convOracles(p, xs, fs, dys);
        // float32 sums of exact products, rounded once: ≥ 99% exactly rounded, all within bound.
        expectMatchesOracle(y!, oracles.y, 'float16', 'nearest', 'y');
        if (backward) {
          expectMatchesOracle(dx!, oracles.dx, 'float16', 'nearest', 'dx');
          expectMatchesOracle(df!, oracles.dFilter, 'float16', 'nearest', 'dFilter');
        }
        expect(webgpuDataIds(), 'webgpu data ids').toBe(ids);
      },
    );
  },
);
