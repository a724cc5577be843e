import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {expectNoLeaks, useBackend} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import '../../index.js';

interface Case {
  x: number[];
  numSegments: number;
  dtype: 'float32' | 'int32';
}

const CASES: Case[] = [
  {x: [12, 5], numSegments: 4, dtype: 'float32'},
  {x: [9], numSegments: 3, dtype: 'float32'},
  {x: [7, 2, 3], numSegments: 5, dtype: 'float32'},
  {x: [10, 4], numSegments: 3, dtype: 'int32'},
  // Empty cases: no rows, empty rows, no segments.
  {x: [0, 3], numSegments: 4, dtype: 'float32'},
  {x: [5, 0], numSegments: 2, dtype: 'float32'},
];

/** Ids in [-1, numSegments]: out-of-range ids (skipped on cpu) occur too. */
function idsFor(rows: number, numSegments: number): Int32Array {
  const ids = new Int32Array(rows);
  for (let i = 0; i < rows; i++) ids[i] = ((i * 7 + 3) % (numSegments + 2)) - 1;
  return ids;
}

/** Fills the heap with 7s and frees it, so memory a kernel forgets to write shows up. */
function dirtyHeap(): void {
  const junk = tf.fill([1 << 14], 7);
  junk.dataSync();
  junk.dispose();
}

function segmentSum(c: Case, values: Float32Array, ids: Int32Array) {
  return tf.tidy(() => {
    const x = tf.tensor(c.dtype === 'int32' ? Int32Array.from(values) : values, c.x, c.dtype);
    const out = tf.unsortedSegmentSum(x, tf.tensor1d(ids, 'int32'), c.numSegments);
    return {values: out.dataSync() as Float32Array, shape: out.shape, dtype: out.dtype};
  });
}

describe('wasm UnsortedSegmentSum', () => {
  for (const c of CASES) {
    it(`matches the cpu kernel for x ${c.dtype} [${c.x}] into ${c.numSegments} segments`, async () => {
      const size = c.x.reduce((a, b) => a * b, 1);
      const values = new Float32Array(size);
      for (let i = 0; i < size; i++)
        values[i] = c.dtype === 'int32' ? (i % 11) - 5 : Math.sin(i + 1) * 3;
      const ids = idsFor(c.x[0]!, c.numSegments);
      await useBackend('cpu');
      const expected = segmentSum(c, values, ids);
      await useBackend('wasm');
      const actual = await expectNoLeaks(() => {
        dirtyHeap();
        return segmentSum(c, values, ids);
      });
      expect(actual.shape).toEqual([c.numSegments, ...c.x.slice(1)]);
      expect(actual.shape).toEqual(expected.shape);
      expect(actual.dtype).toBe(expected.dtype);
      // Both add a segment's rows in row order: at most one rounding per row apart (|x| ≤ 3).
      const bound = c.x[0]! * 3 * 2 ** -23;
      expect(actual.values.length).toBe(expected.values.length);
      for (let i = 0; i < expected.values.length; i++) {
        expect(Math.abs(actual.values[i]! - expected.values[i]!)).toBeLessThanOrEqual(bound);
      }
    });
  }

  it('gives an empty [0, ...] result for 0 segments (the cpu kernel throws there; TF returns empty)', async () => {
    await useBackend('wasm');
    const out = await expectNoLeaks(() =>
      tf.tidy(() => {
        const sums = tf.unsortedSegmentSum(
          tf.ones([5, 3]),
          tf.tensor1d([0, 1, 0, 2, 1], 'int32'),
          0,
        );
        return {shape: sums.shape, size: sums.dataSync().length};
      }),
    );
    expect(out).toEqual({shape: [0, 3], size: 0});
  });

  it('refuses segment ids that are not one per row, naming both shapes', async () => {
    await useBackend('wasm');
    const x = tf.ones([4, 2]);
    const ids = tf.tensor2d([0, 1, 0, 1], [2, 2], 'int32');
    expect(() =>
      tf.engine().runKernel(tf.UnsortedSegmentSum, {x, segmentIds: ids}, {numSegments: 2}),
    ).toThrow(/x \[4, 2\] and segmentIds \[2, 2\]/);
    tf.dispose([x, ids]);
  });

  it('lets an Embedding layer train with model.fit on wasm', async () => {
    await useBackend('wasm');
    const model = tf.sequential({
      layers: [
        tf.layers.embedding({
          inputDim: 6,
          outputDim: 3,
          inputLength: 4,
          embeddingsInitializer: tf.initializers.randomNormal({seed: 1}),
        }),
        tf.layers.flatten(),
        tf.layers.dense({units: 1, kernelInitializer: tf.initializers.glorotUniform({seed: 2})}),
      ],
    });
    const optimizer = tf.train.sgd(0.1);
    model.compile({optimizer, loss: 'meanSquaredError'});
    const xs = tf.tensor2d([0, 1, 2, 3, 4, 5, 0, 1, 2, 2, 4, 4, 5, 3, 1, 0], [4, 4]);
    const ys = tf.tensor2d([1, -1, 0.5, 2], [4, 1]);
    const before = model.layers[0]!.getWeights()[0]!.dataSync().slice();
    const history = await model.fit(xs, ys, {epochs: 10, batchSize: 2, shuffle: false, verbose: 0});
    const after = model.layers[0]!.getWeights()[0]!.dataSync();
    // Every token occurs, so every embedding row is updated.
    for (let row = 0; row < 6; row++) {
      expect(after.slice(row * 3, row * 3 + 3)).not.toEqual(before.slice(row * 3, row * 3 + 3));
    }
    const losses = history.history.loss as number[];
    expect(losses[9]!).toBeLessThan(losses[0]!);
    tf.dispose([xs, ys]);
    optimizer.dispose();
    model.dispose();
  });
});
