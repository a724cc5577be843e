import * as tf from '@tensorflow/tfjs';

/**
 * A model's files are unusable: weight data shorter or longer than its manifest, non-finite
 * weights where they are not allowed, or (from loaders that read files) a file that is missing
 * or not JSON. The message names the file, the weight and the fix; `name` is `'ModelFileError'`.
 */
export class ModelFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFileError';
  }
}

/** One weight file, in the order its bytes were concatenated into the weight data. */
export interface WeightFile {
  /** The file's name or path, as errors should show it (e.g. `./model/weights.bin`). */
  readonly path: string;
  /** Its size in bytes. */
  readonly byteLength: number;
}

/** Options of {@link checkWeightData}. */
export interface CheckWeightDataOptions {
  /** Who is checking, the first word of every error (e.g. `loadLayersModelWithPolicy`). */
  readonly caller: string;
  /** The model the weights belong to, as errors should show it (its model.json path or URL). */
  readonly source: string;
  /**
   * The weight files whose concatenation is the weight data, so errors name the file a weight
   * lives in. Default: none (errors then name only `source`).
   */
  readonly weightFiles?: readonly WeightFile[];
  /**
   * Accept NaN and ±Inf weight values. Default `false`: a model with non-finite weights predicts
   * NaN and cannot train, and all-NaN weights are what a file overwritten with 0xFF bytes (or a
   * diverged run) decodes to, so loading one is refused unless asked for.
   */
  readonly allowNonFiniteWeights?: boolean;
}

/** Artifacts that passed a check, with whatever options their checker chose. */
const checked = new WeakSet<tf.io.ModelArtifacts>();

/**
 * Marks `to` (artifacts derived from `from`, e.g. decoded) as checked when `from` was, so a
 * loader further down does not check them again with other options.
 */
export function inheritWeightCheck(from: tf.io.ModelArtifacts, to: tf.io.ModelArtifacts): void {
  if (checked.has(from)) checked.add(to);
}

/** Bytes per stored value for each dtype a weight (or its quantization) can have. */
const BYTES_PER_VALUE: Readonly<Record<string, number>> = {
  bfloat16: 2,
  bool: 1,
  complex64: 8,
  float16: 2,
  float32: 4,
  int32: 4,
  uint16: 2,
  uint8: 1,
};

/**
 * A weight's stored byte length (its quantization's dtype if any: `float16`, `bfloat16`, `uint8`,
 * `uint16`), or null for a dtype whose size the manifest does not fix (strings).
 */
export function storedByteLength(spec: tf.io.WeightsManifestEntry): number | null {
  const bytes = BYTES_PER_VALUE[(spec.quantization?.dtype as string | undefined) ?? spec.dtype];
  return bytes == null ? null : bytes * spec.shape.reduce((a, b) => a * b, 1);
}

/** `in './weights.bin' (bytes 40–72 of that file)`, or `at bytes 40–72 of the weight data`. */
function whereIs(start: number, end: number, files: readonly WeightFile[] | undefined): string {
  if (files == null || files.length === 0) return `bytes ${start}–${end} of the weight data`;
  let fileStart = 0;
  for (const file of files) {
    if (start < fileStart + file.byteLength || file === files.at(-1)) {
      return `'${file.path}' (its bytes ${start - fileStart}–${end - fileStart})`;
    }
    fileStart += file.byteLength;
  }
  return `bytes ${start}–${end} of the weight data`;
}

/** Index and value of the first non-finite value of a weight, and how many there are. */
function firstNonFinite(
  view: DataView,
  offset: number,
  spec: tf.io.WeightsManifestEntry,
): {index: number; value: number; count: number} | null {
  if (spec.dtype !== 'float32') return null;
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const q = spec.quantization;
  let index = -1;
  let value = 0;
  let count = 0;
  if (q == null) {
    for (let i = 0; i < size; i++) {
      const v = view.getFloat32(offset + 4 * i, true);
      if (!Number.isFinite(v)) {
        if (count++ === 0) [index, value] = [i, v];
      }
    }
  } else if (q.dtype === 'float16') {
    for (let i = 0; i < size; i++) {
      const bits = view.getUint16(offset + 2 * i, true);
      // Exponent all ones: ±Inf (mantissa 0) or NaN.
      if ((bits & 0x7c00) === 0x7c00) {
        if (count++ === 0) {
          index = i;
          value = (bits & 0x3ff) !== 0 ? Number.NaN : bits & 0x8000 ? -Infinity : Infinity;
        }
      }
    }
  } else if ((q.dtype as string) === 'bfloat16') {
    for (let i = 0; i < size; i++) {
      const bits = view.getUint16(offset + 2 * i, true);
      // bfloat16 is float32's upper half: exponent all ones is ±Inf (mantissa 0) or NaN.
      if ((bits & 0x7f80) === 0x7f80) {
        if (count++ === 0) {
          index = i;
          value = (bits & 0x7f) !== 0 ? Number.NaN : bits & 0x8000 ? -Infinity : Infinity;
        }
      }
    }
  } else {
    // uint8 / uint16 affine quantization: finite unless its scale or minimum is not.
    const bad = [q.scale, q.min].find((v) => v != null && !Number.isFinite(v));
    if (bad !== undefined) [index, value, count] = [0, bad, size];
  }
  return count === 0 ? null : {index, value, count};
}

/**
 * Checks loaded model artifacts before tfjs builds a model from them, so a corrupt file gives an
 * error that names the file and the weight (instead of tfjs's shape errors, which name neither)
 * and leaves no tensors behind. Refuses:
 * - weight data shorter than the manifest describes (a truncated file: the error names the first
 *   weight cut off and the file it lives in) or longer (a file that belongs to another model);
 * - NaN or ±Inf values in any float32 weight (stored as float16 or bfloat16 where the manifest
 *   says so),
 *   unless `allowNonFiniteWeights` is set.
 * Artifacts without weights or without weight data (streamed weights) pass. Reads the weight
 * bytes once on the CPU; creates no tensors.
 * An artifacts object that already passed (e.g. in a loader's IOHandler, which may have allowed
 * non-finite weights) is not checked again.
 * @throws ModelFileError naming `source`, the weight and (with `weightFiles`) its file; the
 *   message says how to fix it.
 * @example
 * checkWeightData(artifacts, {caller: 'myLoader', source: './model/model.json'});
 */
export function checkWeightData(
  artifacts: tf.io.ModelArtifacts,
  options: CheckWeightDataOptions,
): void {
  const {caller, source, weightFiles, allowNonFiniteWeights = false} = options;
  if (checked.has(artifacts)) return;
  const specs = artifacts.weightSpecs;
  if (specs == null || specs.length === 0) {
    checked.add(artifacts);
    return;
  }
  // No weight data with weight specs: streamed weights (`streamWeights`), nothing to check here.
  if (artifacts.weightData == null) return;
  const data = new tf.io.CompositeArrayBuffer(artifacts.weightData).slice();
  const lengths = specs.map(storedByteLength);
  if (lengths.some((n) => n == null)) return; // e.g. string weights: sizes unknown here, unchecked
  const needed = (lengths as number[]).reduce((a, b) => a + b, 0);
  const files =
    weightFiles == null || weightFiles.length === 0
      ? ''
      : ` (${weightFiles.map((f) => `'${f.path}', ${f.byteLength} bytes`).join('; ')})`;
  if (data.byteLength < needed) {
    let offset = 0;
    let i = 0;
    while (offset + lengths[i]! <= data.byteLength) offset += lengths[i++]!;
    const spec = specs[i]!;
    throw new ModelFileError(
      `${caller}: the weight data of ${source}${files} is ${data.byteLength} bytes but its ` +
        `manifest needs ${needed}: weight '${spec.name}' (${spec.dtype}${spec.quantization ? ` stored as ${spec.quantization.dtype}` : ''}, ` +
        `shape [${spec.shape.join(', ')}]) should be at ${whereIs(offset, offset + lengths[i]!, weightFiles)} ` +
        'and is cut off. The weight file is truncated or was not saved with this model.json; ' +
        'save the model again.',
    );
  }
  if (data.byteLength > needed) {
    throw new ModelFileError(
      `${caller}: the weight data of ${source}${files} is ${data.byteLength} bytes, ` +
        `${data.byteLength - needed} more than the ${needed} its manifest describes (extra bytes ` +
        `from ${whereIs(needed, data.byteLength, weightFiles)}). The weight file was not saved ` +
        'with this model.json; save the model again.',
    );
  }
  if (allowNonFiniteWeights) {
    checked.add(artifacts);
    return;
  }
  const view = new DataView(data);
  let offset = 0;
  for (const [i, spec] of specs.entries()) {
    const bad = firstNonFinite(view, offset, spec);
    if (bad != null) {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      throw new ModelFileError(
        `${caller}: weight '${spec.name}' of ${source}, in ${whereIs(offset, offset + lengths[i]!, weightFiles)}, ` +
          `holds ${bad.value} at index ${bad.index} (${bad.count} of its ${size} values are ` +
          'NaN or ±Inf). The file is corrupt, or the model had diverged when it was saved. ' +
          'Pass {allowNonFiniteWeights: true} to load it anyway.',
      );
    }
    offset += lengths[i]!;
  }
  checked.add(artifacts);
}
