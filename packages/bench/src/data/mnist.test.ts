import {describe, expect, it} from 'vitest';
import {loadMnist, MNIST_IMAGE_SIZE, MNIST_TOTAL} from './mnist.js';

/** Digits per class in the mnist package's files (data.length / 784 of src/digits/<d>.json). */
const PER_CLASS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

/** A 32-bit FNV-1a hash of one image's float32 bits. */
function fingerprint(images: Float32Array, i: number): number {
  const bits = new Uint32Array(images.buffer, i * MNIST_IMAGE_SIZE * 4, MNIST_IMAGE_SIZE);
  let h = 0x811c9dc5;
  for (const b of bits) h = Math.imul(h ^ b, 0x01000193);
  return h >>> 0;
}

describe('loadMnist', () => {
  it('reads all 10,000 shipped digits with their labels', () => {
    expect(PER_CLASS.reduce((a, b) => a + b)).toBe(MNIST_TOTAL);
    const {train, test} = loadMnist({trainSize: 8000, testSize: 2000});
    const counts = new Array(10).fill(0);
    for (const l of train.labels) counts[l]++;
    for (const l of test.labels) counts[l]++;
    expect(counts).toEqual(PER_CLASS);
    expect(train.images.length).toBe(8000 * 784);
    let min = Infinity;
    let max = -Infinity;
    for (const v of train.images) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect([min, max]).toEqual([0, 1]);
  });

  it('splits deterministically, with no digit in both sets', () => {
    const a = loadMnist({trainSize: 3000, testSize: 1000, seed: 5});
    const b = loadMnist({trainSize: 3000, testSize: 1000, seed: 5});
    expect(Buffer.from(b.train.labels).equals(Buffer.from(a.train.labels))).toBe(true);
    expect(Buffer.from(b.test.images.buffer).equals(Buffer.from(a.test.images.buffer))).toBe(true);
    const testSet = new Set(Array.from({length: 1000}, (_, i) => fingerprint(a.test.images, i)));
    let shared = 0;
    for (let i = 0; i < 3000; i++) if (testSet.has(fingerprint(a.train.images, i))) shared++;
    expect(shared).toBe(0);
  });

  it('keeps the held-out set when only the training size changes, and reshuffles per seed', () => {
    const small = loadMnist({trainSize: 1000, testSize: 500, seed: 1});
    const large = loadMnist({trainSize: 9000, testSize: 500, seed: 1});
    const same = (x: Uint8Array, y: Uint8Array) => Buffer.from(x).equals(Buffer.from(y));
    expect(same(large.test.labels, small.test.labels)).toBe(true);
    expect(same(large.train.labels.subarray(0, 1000), small.train.labels)).toBe(true);
    const other = loadMnist({trainSize: 1000, testSize: 500, seed: 2});
    expect(same(other.test.labels, small.test.labels)).toBe(false);
  });

  it('rejects sizes that do not fit, naming them', () => {
    expect(() => loadMnist({trainSize: 9000, testSize: 2000})).toThrow(
      /trainSize \+ testSize must be at most 10000 .*; got 9000 \+ 2000 = 11000/,
    );
    expect(() => loadMnist({trainSize: 0})).toThrow(RangeError);
    expect(() => loadMnist({testSize: 1.5})).toThrow(
      /testSize must be an integer in \[1, 9999\]; got 1.5/,
    );
  });
});
