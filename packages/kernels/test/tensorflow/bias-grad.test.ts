// A bias's gradient on tfjs-node (AmpBiasGrad): one 16-bit product with a ones row on a 16-bit
// native gradient, float32 sums rounded once; tfjs-node's float32 sum otherwise.
import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectBitsEqual} from '@tfjs-amp/test-utils';
import {afterAll, beforeAll, expect, it} from 'vitest';
import {type NativeDispatch, setNativeDispatch, withComputeFormat} from '../../src/index.js';
import {AmpBiasGrad} from '../../src/kernel-names.js';
import {asNodeBackend} from '../../src/native/binding.js';
import {decideNative} from '../../src/native/dispatch.js';
import {
  OpSpy,
  expectMatchesOracle,
  matMulOracle,
  materialize,
  roundingMode,
  values,
} from './support.js';

describeBackends(['tensorflow'], () => {
  let previous: NativeDispatch;
  beforeAll(() => {
    previous = setNativeDispatch('accurate'); // native wherever the product sums in float32
  });
  afterAll(() => {
    setNativeDispatch(previous);
  });

  const handles = () =>
    (tf.backend() as unknown as {getNumOfTFTensors(): number}).getNumOfTFTensors();
  const biasGrad = (dy: tf.Tensor) => tf.engine().runKernel(AmpBiasGrad, {dy}) as tf.Tensor;
  const float32Sum = (dy: tf.Tensor) =>
    tf.tidy(
      () => tf.sum(tf.reshape(dy, [-1, dy.shape[dy.rank - 1]!]), 0).dataSync() as Float32Array,
    );

  for (const format of ['bfloat16', 'float16'] as const) {
    it(`${format}: one product with a ones row on the 16-bit gradient, rounded once`, () => {
      const before = handles();
      const a = tf.tensor2d(values(6 * 40 * 16, 1, format), [240, 16]);
      const b = tf.tensor2d(values(16 * 48, 2, format), [16, 48]);
      materialize(a, b);
      // A 16-bit native gradient, [2, 120, 48] as a convolution's would be.
      const dy = withComputeFormat(format, () =>
        tf.tidy(() => tf.reshape(tf.matMul(a, b), [2, 120, 48])),
      );
      const native = decideNative(asNodeBackend(tf.backend())!, 'BatchMatMulV2', format).native;
      const spy = new OpSpy();
      const db = biasGrad(dy);
      spy.restore();
      const dtype = format === 'bfloat16' ? 14 : 19;
      if (native) {
        // Nothing of dy's size is cast: the only Cast is the scalar 1 of the ones row.
        expect(spy.calls.filter((c) => c.op !== 'Reshape').map((c) => c.op)).toEqual([
          'Cast',
          'Fill',
          'BatchMatMulV2',
        ]);
        expect(spy.calls.find((c) => c.op === 'BatchMatMulV2')!.dtype).toBe(dtype);
        // float32 sums of the 240 terms per channel, rounded once to the format. (Reading dy
        // before would have widened it and dropped its 16-bit copy.)
        const dyValues = dy.dataSync() as Float32Array;
        const oracle = matMulOracle(new Float32Array(240).fill(1), dyValues, 1, 240, 48);
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
      expect(handles(), 'no handle left behind').toBe(before);
    });
  }

  it('sums in float32, as tf.sum, a float32 gradient or fewer than 32 channels', () => {
    const before = handles();
    const a = tf.tensor2d(values(64 * 16, 3, 'bfloat16'), [64, 16]);
    const b = tf.tensor2d(values(16 * 8, 4, 'bfloat16'), [16, 8]);
    const unrounded = tf.tensor3d(values(4 * 16 * 40, 5, 'float32'), [4, 16, 40]);
    materialize(a, b, unrounded);
    const narrow = withComputeFormat('bfloat16', () => tf.matMul(a, b)); // 8 channels
    for (const [what, dy] of [
      ['float32 gradient', unrounded],
      ['8 channels', narrow],
    ] as const) {
      const spy = new OpSpy();
      const db = biasGrad(dy);
      spy.restore();
      expect(
        spy.calls.filter((c) => c.op === 'BatchMatMulV2'),
        what,
      ).toEqual([]);
      expectBitsEqual(db.dataSync() as Float32Array, float32Sum(dy), what);
      db.dispose();
    }
    const vector = tf.zeros([3]);
    expect(() => biasGrad(vector)).toThrow(/rank 2 or more; got float32 \[3\]/);
    tf.dispose([a, b, unrounded, narrow, vector]);
    expect(handles(), 'no handle left behind').toBe(before);
  });
});
