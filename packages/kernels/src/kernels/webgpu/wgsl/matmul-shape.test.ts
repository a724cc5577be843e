import type {TensorInfo} from '@tensorflow/tfjs';
import {describe, expect, it} from 'vitest';
import {matMulShape} from './matmul-shape.js';

const info = (shape: number[]): TensorInfo => ({dataId: {}, shape, dtype: 'float32'});

describe('matMulShape', () => {
  it('reads m, k, n through the transposes', () => {
    expect(matMulShape(info([4, 3]), info([5, 4]), true, true)).toEqual({
      shape: {batchA: 1, batchB: 1, m: 3, k: 4, n: 5, transposeA: true, transposeB: true},
      outShape: [3, 5],
    });
  });

  it('broadcasts a single matrix against a batch, either side', () => {
    expect(matMulShape(info([2, 3, 4]), info([4, 5]), false, false)?.outShape).toEqual([2, 3, 5]);
    expect(matMulShape(info([1, 3, 4]), info([6, 4, 5]), false, false)?.shape).toMatchObject({
      batchA: 1,
      batchB: 6,
    });
  });

  it('declines what the kernel does not cover: mixed broadcasting, k mismatch, empty', () => {
    // [2,1] × [1,3] batches broadcast to [2,3]: neither side is one matrix or the whole batch.
    expect(matMulShape(info([2, 1, 3, 4]), info([1, 3, 4, 5]), false, false)).toBeNull();
    expect(matMulShape(info([3, 4]), info([5, 6]), false, false)).toBeNull();
    expect(matMulShape(info([0, 4]), info([4, 6]), false, false)).toBeNull();
    expect(
      matMulShape(info([70000, 1, 4]), info([4, 6]), false, false),
      '65535 batches',
    ).toBeNull();
  });
});
