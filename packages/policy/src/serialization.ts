import * as tf from '@tensorflow/tfjs';
import {encode, getFormat} from '@tfjs-amp/kernels';
import {applyPolicy} from './apply-policy.js';
import {describeValue, invalidChoice, wrongType} from './internal/errors.js';
import {isLayer, type Layer} from './internal/layer-walk.js';
import {POLICY_METADATA_KEY, readPolicyMetadata} from './internal/metadata.js';
import {isPolicyName, type PolicyName} from './policy.js';
import {decodeBfloat16Weights} from './serialization-bfloat16.js';
import {
  checkWeightData,
  ModelFileError,
  storedByteLength,
  type WeightFile,
} from './serialization-check.js';

export {POLICY_METADATA_KEY} from './internal/metadata.js';

/** The record `applyPolicy` writes under `tfjsAmpPolicy` in a model's user-defined metadata. */
export interface PolicyRecord {
  readonly name: PolicyName;
  readonly overrides: Readonly<Record<string, PolicyName>>;
  readonly keepFloat32: readonly string[];
}

/** Checks a metadata record; `where` names the caller in the error. */
function parseRecord(value: unknown, where: string): PolicyRecord {
  const what = `user-defined metadata '${POLICY_METADATA_KEY}'`;
  if (value == null || typeof value !== 'object' || Array.isArray(value)) {
    throw wrongType(where, what, 'an object {name, overrides, keepFloat32}', describeValue(value));
  }
  const {name, overrides = {}, keepFloat32} = value as Record<string, unknown>;
  if (!isPolicyName(name)) {
    throw new TypeError(
      `${where}: ${what} has an unknown policy name ${describeValue(name)}; it was saved by a ` +
        'newer or foreign version. Apply a policy by hand with applyPolicy(model, name).',
    );
  }
  if (overrides == null || typeof overrides !== 'object' || Array.isArray(overrides)) {
    throw wrongType(where, `${what}.overrides`, 'an object', describeValue(overrides));
  }
  for (const [layer, policy] of Object.entries(overrides)) {
    if (!isPolicyName(policy)) {
      throw new TypeError(
        `${where}: ${what}.overrides['${layer}'] is an unknown policy name ${describeValue(policy)}.`,
      );
    }
  }
  if (
    keepFloat32 != null &&
    !(Array.isArray(keepFloat32) && keepFloat32.every((e) => typeof e === 'string'))
  ) {
    throw wrongType(
      where,
      `${what}.keepFloat32`,
      'an array of strings',
      describeValue(keepFloat32),
    );
  }
  return {
    name,
    overrides: overrides as Record<string, PolicyName>,
    keepFloat32: (keepFloat32 as string[] | undefined) ?? [],
  };
}

/**
 * The policy recorded in a model's user-defined metadata (by `applyPolicy`, kept by `model.save`
 * and `tf.loadLayersModel`), or null when there is none.
 * @throws TypeError when the record is malformed.
 */
export function readPolicyRecord(model: Layer): PolicyRecord | null {
  const value = readPolicyMetadata(model);
  return value === undefined ? null : parseRecord(value, 'readPolicyRecord');
}

/**
 * Re-applies the policy recorded in the model's user-defined metadata, typically right after
 * `tf.loadLayersModel`, and returns the model. A model with no record is returned unchanged.
 * @throws TypeError when the record is malformed or no longer fits the model (an override naming
 *   a missing layer); the model is left unchanged then.
 * @example
 * const model = restorePolicy(await tf.loadLayersModel('file://./model/model.json'));
 */
export function restorePolicy<T extends Layer>(model: T): T {
  if (!isLayer(model)) {
    throw wrongType('restorePolicy', 'model', 'a tfjs LayersModel', describeValue(model));
  }
  const value = readPolicyMetadata(model);
  if (value === undefined) return model;
  const record = parseRecord(value, 'restorePolicy');
  return applyPolicy(model, record.name, {
    overrides: record.overrides,
    keepFloat32: record.keepFloat32,
  });
}

/** Options of {@link loadLayersModelWithPolicy}: tfjs's own load options, plus the checks. */
export interface LoadWithPolicyOptions extends tf.io.LoadOptions {
  /**
   * Load weights that hold NaN or ±Inf. Default `false`: such a model predicts NaN and cannot
   * train, and all-NaN weights are what a corrupt file (overwritten with 0xFF bytes) decodes to,
   * so the load is refused with an error naming the weight.
   */
  allowNonFiniteWeights?: boolean;
}

/** How errors name the model: its path or URL, else the handler's kind. */
function sourceName(pathOrIOHandler: string | tf.io.IOHandler): string {
  if (typeof pathOrIOHandler === 'string') return `'${pathOrIOHandler}'`;
  const path = (pathOrIOHandler as {path?: unknown}).path;
  if (typeof path === 'string') return `'${path}'`;
  if (Array.isArray(path) && typeof path[0] === 'string') return `'${path[0]}'`;
  return 'the model of the given IOHandler';
}

/**
 * The weight files of a handler reading a model.json from disk (tfjs-node's `file://` handler
 * keeps the file's path in `path`), with their sizes, so errors can name the file a weight is in.
 * Best effort: undefined outside Node or when anything cannot be read.
 */
async function weightFilesOnDisk(handler: tf.io.IOHandler): Promise<WeightFile[] | undefined> {
  const path = (handler as {path?: unknown}).path;
  const node = (globalThis as {process?: {versions?: {node?: string}}}).process?.versions?.node;
  if (node == null || typeof path !== 'string' || !path.endsWith('.json')) return undefined;
  try {
    // Variable specifiers: bundlers for the browser must not try to resolve Node's modules.
    const fsName = 'node:fs';
    const pathName = 'node:path';
    const fs = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs');
    const paths = (await import(/* @vite-ignore */ pathName)) as typeof import('node:path');
    const json = JSON.parse(fs.readFileSync(path, 'utf8')) as tf.io.ModelJSON;
    return (json.weightsManifest ?? []).flatMap((group) =>
      group.paths.map((relative) => {
        const file = paths.join(paths.dirname(path), relative);
        return {path: file, byteLength: fs.statSync(file).size};
      }),
    );
  } catch {
    return undefined;
  }
}

/**
 * `tf.loadLayersModel` followed by {@link restorePolicy}: loads a model saved with a policy and
 * puts the policy back on. Before tfjs builds the model, the weight data is checked with
 * {@link checkWeightData}: a truncated or oversized weight file, or NaN/±Inf weights (unless
 * `allowNonFiniteWeights`), is refused with an error naming the model, the weight and, for
 * `file://` paths on tfjs-node, the weight file. A failed load leaves no tensors behind. Weights
 * saved as bfloat16 (`saveWeightsAs: 'bfloat16'`) are decoded exactly (see
 * {@link decodeBfloat16Weights}).
 * @throws ModelFileError for corrupt weight data (see above); TypeError when the saved policy record is
 *   malformed; tfjs's own errors for an unreadable model.json.
 * @example
 * const model = await loadLayersModelWithPolicy('file://./model/model.json');
 */
export async function loadLayersModelWithPolicy(
  pathOrIOHandler: string | tf.io.IOHandler,
  options: LoadWithPolicyOptions = {},
): Promise<tf.LayersModel> {
  const {allowNonFiniteWeights = false, ...loadOptions} = options;
  let handler: string | tf.io.IOHandler = pathOrIOHandler;
  if (typeof handler === 'string') {
    const handlers = tf.io.getLoadHandlers(handler, loadOptions);
    // None or several: tfjs's own error explains it better.
    if (handlers.length === 1) handler = handlers[0]!;
  }
  let checked: string | tf.io.IOHandler = handler;
  if (typeof handler !== 'string' && typeof handler.load === 'function') {
    const inner = handler;
    checked = {
      load: async () => {
        const artifacts = await inner.load!();
        const check = {
          caller: 'loadLayersModelWithPolicy',
          source: sourceName(pathOrIOHandler),
          allowNonFiniteWeights,
        };
        try {
          checkWeightData(artifacts, check);
        } catch (err) {
          // Only a failing load pays for reading the manifest again, to name the weight file.
          const weightFiles = err instanceof ModelFileError ? await weightFilesOnDisk(inner) : null;
          if (weightFiles != null) checkWeightData(artifacts, {...check, weightFiles});
          throw err;
        }
        return decodeBfloat16Weights(artifacts);
      },
    };
  }
  const model = await tf.loadLayersModel(checked, loadOptions);
  try {
    return restorePolicy(model);
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/** Storage formats for saved weights. */
export type SavedWeightFormat = 'float32' | 'float16' | 'bfloat16';

/** Options of {@link saveModelWithPolicy}: tfjs's own save options, plus the weight format. */
export interface SaveWithPolicyOptions extends tf.io.SaveConfig {
  /**
   * How float32 model weights are written. Default `float32` (exact).
   * - `float16` halves their size using tfjs io's float16 weight quantization
   *   (`quantization: {dtype: 'float16'}` in the weight specs), which stock `tf.loadLayersModel`
   *   decodes back to float32. Values are rounded to nearest-even, so a model computing in
   *   float16 (`mixed_float16`, `float16`) predicts bit-identically after loading (it reads its
   *   weights rounded to float16 anyway). Not exact for anything else: a `mixed_bfloat16` model's
   *   predictions move (by up to 2.75e-4 on a small MLP), as do layers kept in float32.
   * - `bfloat16` halves their size too, storing the upper 16 bits of each value rounded to
   *   nearest-even (`quantization: {dtype: 'bfloat16'}`, see {@link decodeBfloat16Weights}): a
   *   model computing in bfloat16 (`mixed_bfloat16`, `bfloat16`) predicts bit-identically after
   *   loading. tfjs cannot decode this itself: load with `loadLayersModelWithPolicy` (stock
   *   `tf.loadLayersModel` refuses the file rather than misread it).
   *
   * Either 16-bit format rounds the float32 master weights, so training resumed from such a file
   * does not continue exactly where it stopped: save with `float32` (and `includeOptimizer`) to
   * resume training, and use 16-bit files for inference and distribution. Optimizer weights
   * (`includeOptimizer`) and non-float32 weights are always written as they are.
   */
  saveWeightsAs?: SavedWeightFormat;
}

const SAVED_WEIGHT_FORMATS: readonly SavedWeightFormat[] = ['bfloat16', 'float16', 'float32'];

/** One spec's byte length in a weight buffer; strings (never in layers models) are refused. */
function specByteLength(spec: tf.io.WeightsManifestEntry): number {
  const bytes = storedByteLength(spec);
  if (bytes == null) {
    throw new TypeError(
      `saveModelWithPolicy: weight '${spec.name}' has dtype ${spec.dtype}, which 16-bit saving ` +
        "does not handle; save with saveWeightsAs: 'float32'.",
    );
  }
  return bytes;
}

/** Whether a 16-bit pattern of `format` is ±Inf. */
function isInfinite16(bits: number, format: 'float16' | 'bfloat16'): boolean {
  return format === 'float16' ? (bits & 0x7fff) === 0x7c00 : (bits & 0x7fff) === 0x7f80;
}

/**
 * Rewrites model artifacts so float32 model weights are stored in a 16-bit format: `float16`
 * (tfjs io's float16 quantization) or `bfloat16` (see {@link decodeBfloat16Weights}), rounded to
 * nearest-even. Throws when a finite weight is outside the format's range, rather than writing
 * Inf.
 */
export function toHalfArtifacts(
  artifacts: tf.io.ModelArtifacts,
  format: 'float16' | 'bfloat16',
): tf.io.ModelArtifacts {
  const specs = artifacts.weightSpecs;
  if (specs == null || artifacts.weightData == null) return artifacts;
  const source = new Uint8Array(new tf.io.CompositeArrayBuffer(artifacts.weightData).slice());
  const chunks: Uint8Array[] = [];
  const newSpecs: tf.io.WeightsManifestEntry[] = [];
  const maxFinite = getFormat(format).maxFinite;
  let offset = 0;
  for (const spec of specs) {
    const length = specByteLength(spec);
    const bytes = source.subarray(offset, offset + length);
    offset += length;
    if (spec.dtype !== 'float32' || spec.quantization != null || spec.group === 'optimizer') {
      chunks.push(bytes);
      newSpecs.push(spec);
      continue;
    }
    const values = new Float32Array(bytes.slice().buffer);
    const half = encode(values, format) as Uint16Array;
    for (let i = 0; i < half.length; i++) {
      // A finite weight that lands on ±Inf overflowed.
      if (isInfinite16(half[i]!, format) && Number.isFinite(values[i]!)) {
        throw new RangeError(
          `saveModelWithPolicy: weight '${spec.name}' holds ${values[i]}, beyond ${format}'s ` +
            `range (±${maxFinite}); save with saveWeightsAs: 'float32'.`,
        );
      }
    }
    chunks.push(new Uint8Array(half.buffer, half.byteOffset, half.byteLength));
    newSpecs.push({
      ...spec,
      quantization: {dtype: format as 'float16'}, // 'bfloat16' is ours: tfjs's type lacks it
    });
  }
  const total = chunks.reduce((n, c) => n + c.byteLength, 0);
  const data = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    data.set(chunk, at);
    at += chunk.byteLength;
  }
  return {...artifacts, weightSpecs: newSpecs, weightData: data.buffer};
}

/** {@link toHalfArtifacts} for float16 (tfjs io's float16 weight quantization). */
export function toFloat16Artifacts(artifacts: tf.io.ModelArtifacts): tf.io.ModelArtifacts {
  return toHalfArtifacts(artifacts, 'float16');
}

/**
 * `model.save` with a choice of weight format; the policy recorded by `applyPolicy` is saved
 * either way (plain `model.save` keeps it too). Resolves to tfjs's `SaveResult`.
 * @throws TypeError for an unknown `saveWeightsAs`; RangeError when the 16-bit format cannot hold
 *   a weight.
 * @example
 * await saveModelWithPolicy(model, 'file://./model', {saveWeightsAs: 'float16'});
 * const loaded = await loadLayersModelWithPolicy('file://./model/model.json'); // stock loader inside
 */
export async function saveModelWithPolicy(
  model: tf.LayersModel,
  handlerOrURL: string | tf.io.IOHandler,
  options: SaveWithPolicyOptions = {},
): Promise<tf.io.SaveResult> {
  if (!(model instanceof tf.LayersModel)) {
    throw wrongType('saveModelWithPolicy', 'model', 'a tfjs LayersModel', describeValue(model));
  }
  const {saveWeightsAs = 'float32', ...saveConfig} = options;
  if (!SAVED_WEIGHT_FORMATS.includes(saveWeightsAs)) {
    throw invalidChoice(
      'saveModelWithPolicy',
      'saveWeightsAs',
      saveWeightsAs,
      SAVED_WEIGHT_FORMATS,
    );
  }
  let handler = handlerOrURL;
  if (typeof handler === 'string') {
    const handlers = tf.io.getSaveHandlers(handler);
    if (handlers.length !== 1) {
      throw new TypeError(
        `saveModelWithPolicy: handlerOrURL '${handler}' matches ${handlers.length} save handlers; ` +
          'pass an IOHandler (e.g. tf.io.withSaveHandler) instead.',
      );
    }
    handler = handlers[0]!;
  }
  if (saveWeightsAs === 'float32') return model.save(handler, saveConfig);
  const inner = handler;
  if (typeof inner.save !== 'function') {
    throw wrongType(
      'saveModelWithPolicy',
      'handlerOrURL',
      'an IOHandler with save()',
      describeValue(inner),
    );
  }
  const halfHandler: tf.io.IOHandler = {
    save: (artifacts) => inner.save!(toHalfArtifacts(artifacts, saveWeightsAs)),
  };
  return model.save(halfHandler, saveConfig);
}
