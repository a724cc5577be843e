import * as tf from '@tensorflow/tfjs';
import {expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {beforeAll, expect, it} from 'vitest';
import {roundArray, withComputeFormat} from '../../src/index.js';
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

    it.each([
      ['FusedConv2D', false, 'relu'],
      ['FusedConv2D', false, 'linear'],
      ['FusedDepthwiseConv2D', true, 'relu6'],
    ] as const)(
      '%s (%s, %s): the convolution rounded, plus the bias rounded, activation rounded',
      async (_name, depthwise, activation) => {
        const p: ConvProblem = depthwise
          ? {x: [2, 6, 5, 3], filter: [3, 3, 3, 2], strides: 1, pad: 'same', depthwise}
          : {x: [2, 7, 6, 5], filter: [3, 3, 5, 4], strides: 1, pad: 'same', depthwise};
        const outC = depthwise ? p.x[3] * p.filter[3] : p.filter[3];
        // Scaled so that relu6 clips some outputs.
        const xs = values(tf.util.sizeFromShape(p.x), 41, 'float32').map((v) => v * 4);
        const fs = values(tf.util.sizeFromShape(p.filter), 42, 'float32');
        const bs = values(outC, 43, 'float32');
        const [fused, plain] = await expectNoLeaks(async () => {
          const x = tf.tensor4d(xs, p.x);
          const f = tf.tensor4d(fs, p.filter);
          const bias = tf.tensor1d(bs);
          const [y, c] = withComputeFormat('float16', () => {
            const args = {x, filter: f, strides: 1, pad: 'same' as const, bias, activation};
            return depthwise
              ? [tf.fused.depthwiseConv2d(args), conv(p, x, f)]
              : [tf.fused.conv2d(args), conv(p, x, f)];
          });
          const out = [(await y.data()) as Float32Array, (await c.data()) as Float32Array];
          tf.dispose([x, f, bias, y, c]);
          return out;
        });
        const b16 = roundArray(bs, 'float16');
        const sum = roundArray(
          plain!.map((v, i) => v + b16[i % outC]!),
          'float16',
        );
        const act = (v: number) =>
          activation === 'relu'
            ? Math.max(v, 0)
            : activation === 'relu6'
              ? Math.min(Math.max(v, 0), 6)
              : v;
        expect(sum.some((v) => v > 6) || activation !== 'relu6', 'relu6 clips something').toBe(
          true,
        );
        expectBitsEqual(fused!, roundArray(sum.map(act), 'float16'), activation);
      },
    );
  },
);
