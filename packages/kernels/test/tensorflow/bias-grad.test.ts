// A bias's gradient on tfjs-node (AmpBiasGrad): one 16-bit reduction that sums in float32 on a
// 16-bit native gradient, rounded once; tfjs-node's float32 sum otherwise.
import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectBitsEqual} from '@tfjs-amp/test-utils';
import {expect, it} from 'vitest';
import {withComputeFormat} from '../../src/index.js';
import {AmpBiasGrad} from '../../src/kernel-names.js';
import {biasReductionOp, sumsInFloat32} from '../../src/native/bias-reduction.js';
import {asNodeBackend} from '../../src/native/binding.js';
import {
  expectMatchesOracle,
  materialize,
  matMulOracle,
  nativeHandles,
  OpSpy,
  roundingMode,
  useNativeDispatch,
  values,
} from './support.js';

describeBackends(['tensorflow'], () => {
  useNativeDispatch('accurate'); // float16 products run natively too, to make 16-bit gradients

  const node = () => asNodeBackend(tf.backend())!;
  const biasGrad = (dy: tf.Tensor) => tf.engine().runKernel(AmpBiasGrad, {dy}) as tf.Tensor;
  const float32Sum = (dy: tf.Tensor) =>
    tf.tidy(
      () => tf.sum(tf.reshape(dy, [-1, dy.shape[dy.rank - 1]!]), 0).dataSync() as Float32Array,
    );

  it("TF 2.21's CPU kernels: Sum widens bfloat16, BiasAddGrad widens float16, not the reverse", (ctx) => {
    // What the probe finds on tfjs-node's CPU: each format has one reduction that sums in
    // float32, and the other one adds in the format (so trusting either blindly would be wrong).
    // A GPU (tfjs-node-gpu) has other kernels: the probe decides there, unchecked here.
    if (node().binding.isUsingGpuDevice()) ctx.skip();
    expect(sumsInFloat32(node(), 'Sum', 'bfloat16')).toBe(true);
    expect(sumsInFloat32(node(), 'BiasAddGrad', 'bfloat16')).toBe(false);
    expect(sumsInFloat32(node(), 'Sum', 'float16')).toBe(false);
    expect(sumsInFloat32(node(), 'BiasAddGrad', 'float16')).toBe(true);
    expect(biasReductionOp(node(), 'bfloat16')).toBe('Sum');
    expect(biasReductionOp(node(), 'float16')).toBe('BiasAddGrad');
  });

  for (const format of ['bfloat16', 'float16'] as const) {
    for (const [channels, shape] of [
      [48, [2, 120, 48]], // as a convolution's gradient
      [8, [240, 8]], // a narrow Dense layer's
    ] as const) {
      it(`${format}, ${channels} channels: one reduction on the 16-bit gradient, rounded once`, () => {
        const before = nativeHandles();
        const a = tf.tensor2d(values(240 * 16, 1, format), [240, 16]);
        const b = tf.tensor2d(values(16 * channels, 2, format), [16, channels]);
        materialize(a, b);
        // A 16-bit native gradient.
        const dy = withComputeFormat(format, () =>
          tf.tidy(() => tf.reshape(tf.matMul(a, b), [...shape])),
        );
        const op = biasReductionOp(node(), format);
        const spy = new OpSpy();
        const db = biasGrad(dy);
        spy.restore();
        if (op != null) {
          // Nothing of dy's size is cast or reshaped: one op, in the format.
          expect(spy.calls).toEqual([{op, dtype: format === 'bfloat16' ? 14 : 19}]);
          // float32 sums of the 240 terms per channel, rounded once to the format. (Reading dy
          // before would have widened it and dropped its 16-bit copy.)
          const dyValues = dy.dataSync() as Float32Array;
          const oracle = matMulOracle(new Float32Array(240).fill(1), dyValues, 1, 240, channels);
          expectMatchesOracle(
            db.dataSync() as Float32Array,
            oracle,
            format,
            roundingMode(format),
            'db',
          );
        } else {
          expectBitsEqual(db.dataSync() as Float32Array, float32Sum(dy), 'db');
        }
        tf.dispose([a, b, dy, db]);
        expect(nativeHandles(), 'no handle left behind').toBe(before);
      });
    }
  }

  it('sums a float32 gradient in float32, as tf.sum', () => {
    const before = nativeHandles();
    const unrounded = tf.tensor3d(values(4 * 16 * 40, 5, 'float32'), [4, 16, 40]);
    materialize(unrounded);
    const spy = new OpSpy();
    const db = biasGrad(unrounded);
    spy.restore();
    expect(spy.calls.map((c) => [c.op, c.dtype])).toEqual([
      ['Reshape', 1],
      ['Sum', 1],
    ]);
    expectBitsEqual(db.dataSync() as Float32Array, float32Sum(unrounded), 'db');
    const vector = tf.zeros([3]);
    expect(() => biasGrad(vector)).toThrow(/rank 2 or more; got float32 \[3\]/);
    tf.dispose([unrounded, db, vector]);
    expect(nativeHandles(), 'no handle left behind').toBe(before);
  });
});
