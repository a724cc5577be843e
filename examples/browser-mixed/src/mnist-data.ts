import type {MnistMeta} from '../scripts/write-mnist.js';

/** Digits and labels, row-major: image `i` is `images[i * 784 .. (i + 1) * 784)`, in [0, 1]. */
export interface Digits {
  readonly images: Float32Array;
  readonly labels: Uint8Array;
  readonly count: number;
}

/** The split the page trains on (written by scripts/write-mnist.ts, served from mnist/). */
export interface MnistSet {
  readonly train: Digits;
  readonly test: Digits;
  readonly meta: MnistMeta;
}

async function fetchBytes(url: string): Promise<ArrayBuffer> {
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(
      `browser-mixed: ${url} answered ${response.status}. Run \`npm start\` (it writes ` +
        'public/mnist/ with scripts/write-mnist.ts before serving).',
    );
  }
  return response.arrayBuffer();
}

async function fetchDigits(base: string, part: string, count: number, scale: number) {
  const [pixels, labels] = await Promise.all([
    fetchBytes(`${base}/${part}-images.u16`),
    fetchBytes(`${base}/${part}-labels.u8`),
  ]);
  const raw = new Uint16Array(pixels);
  if (raw.length !== count * 784 || labels.byteLength !== count) {
    throw new Error(
      `browser-mixed: ${base}/${part}-* hold ${raw.length / 784} images and ` +
        `${labels.byteLength} labels; meta.json says ${count}. Delete public/mnist/ and restart.`,
    );
  }
  const images = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) images[i] = raw[i]! / scale;
  return {images, labels: new Uint8Array(labels), count};
}

/**
 * Fetches the MNIST split from `base` (default `mnist`, next to the page): `meta.json`, then the
 * four binary files it describes.
 * @throws Error when a file is missing or its size does not match `meta.json`.
 */
export async function fetchMnist(base = 'mnist'): Promise<MnistSet> {
  const meta = JSON.parse(new TextDecoder().decode(await fetchBytes(`${base}/meta.json`)));
  const m = meta as MnistMeta;
  const [train, test] = await Promise.all([
    fetchDigits(base, 'train', m.trainSize, m.pixelScale),
    fetchDigits(base, 'test', m.testSize, m.pixelScale),
  ]);
  return {train, test, meta: m};
}
