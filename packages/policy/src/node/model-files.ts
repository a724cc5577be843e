import type * as tf from '@tensorflow/tfjs';
import {decodeBfloat16Weights} from '../serialization-bfloat16.js';
import {checkWeightData, ModelFileError, type WeightFile} from '../serialization-check.js';
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';

/** File names {@link modelDirectoryHandler} writes. */
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

function concat(parts: readonly Uint8Array[]): ArrayBuffer {
  const total = parts.reduce((n, b) => n + b.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const b of parts) {
    out.set(b, at);
    at += b.byteLength;
  }
  return out.buffer;
}

function toBytes(data: tf.io.WeightData): Uint8Array {
  const buffers = Array.isArray(data) ? data : [data];
  return new Uint8Array(concat(buffers.map((b) => new Uint8Array(b))));
}

/** Options of {@link readModelArtifacts} and {@link modelDirectoryHandler}'s `load`. */
export interface ReadModelOptions {
  /**
   * Accept weights holding NaN or ±Inf. Default `false`: such weights are refused with an error
   * naming the weight and its file (a file overwritten with 0xFF bytes decodes to all-NaN).
   */
  allowNonFiniteWeights?: boolean;
}

/** readFileSync with an error that names the file, what it is for and the fix. */
function readFileFor(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ModelFileError(
      `readModelArtifacts: cannot read ${what} '${path}' (${code}). Pass the model.json that ` +
        "tfjs's model.save() wrote, next to the weight files it lists.",
    );
  }
}

/**
 * Reads a tfjs layers model written by `model.save()` (model.json plus the weight files its
 * manifest names) into `ModelArtifacts`, without tfjs-node: pass them to
 * `tf.loadLayersModel(tf.io.fromMemory(artifacts))`. The weight files are checked with
 * `checkWeightData` from @tfjs-amp/policy before any tensor exists: a truncated or oversized
 * file, or NaN/±Inf weights (unless `allowNonFiniteWeights`), is refused. Weights saved as
 * bfloat16 by `saveModelWithPolicy` are decoded to float32 (exactly).
 * @throws ModelFileError (from @tfjs-amp/policy) when a file is missing or unreadable,
 *   model.json is not JSON, or the weight data is corrupt (the message names the file and the
 *   weight); TypeError when the JSON has no `modelTopology`.
 */
export function readModelArtifacts(
  modelJsonPath: string,
  options: ReadModelOptions = {},
): tf.io.ModelArtifacts {
  const text = readFileFor(modelJsonPath, 'model file').toString('utf8');
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(text) as tf.io.ModelJSON;
  } catch (err) {
    throw new ModelFileError(
      `readModelArtifacts: '${modelJsonPath}' is not valid JSON (${(err as Error).message}); ` +
        "expected the model.json written by tfjs's model.save(). Save the model again.",
    );
  }
  if (json == null || typeof json !== 'object' || json.modelTopology == null) {
    throw new TypeError(
      `readModelArtifacts: ${modelJsonPath} has no modelTopology; expected a model.json written ` +
        "by tfjs's model.save() (a layers model).",
    );
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  const files: WeightFile[] = [];
  for (const group of json.weightsManifest ?? []) {
    specs.push(...group.weights);
    for (const path of group.paths) {
      const file = resolve(dirname(modelJsonPath), path);
      const bytes = new Uint8Array(readFileFor(file, `weight file (listed in ${modelJsonPath})`));
      buffers.push(bytes);
      files.push({path: file, byteLength: bytes.byteLength});
    }
  }
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: json.modelTopology,
    weightSpecs: specs,
    weightData: concat(buffers),
  };
  if (json.format != null) artifacts.format = json.format;
  if (json.generatedBy != null) artifacts.generatedBy = json.generatedBy;
  if (json.convertedBy != null) artifacts.convertedBy = json.convertedBy;
  if (json.userDefinedMetadata != null) artifacts.userDefinedMetadata = json.userDefinedMetadata;
  if (json.trainingConfig != null) artifacts.trainingConfig = json.trainingConfig;
  checkWeightData(artifacts, {
    caller: 'readModelArtifacts',
    source: `'${modelJsonPath}'`,
    weightFiles: files,
    ...(options.allowNonFiniteWeights != null && {
      allowNonFiniteWeights: options.allowNonFiniteWeights,
    }),
  });
  return decodeBfloat16Weights(artifacts);
}

/**
 * A tfjs `IOHandler` for a folder on disk, for Node.js without tfjs-node (whose `file://`
 * scheme needs the native binding): `save` writes `model.json` and one `weights.bin` into `dir`
 * (created if missing), `load` reads them back with {@link readModelArtifacts} (same checks;
 * `options` go to it).
 * @example
 * await model.save(modelDirectoryHandler('./my-model'));
 * const again = await tf.loadLayersModel(modelDirectoryHandler('./my-model'));
 */
export function modelDirectoryHandler(
  dir: string,
  options: ReadModelOptions = {},
): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      mkdirSync(dir, {recursive: true});
      const weights =
        artifacts.weightData == null ? new Uint8Array(0) : toBytes(artifacts.weightData);
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology!,
        weightsManifest: [{paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? []}],
      };
      if (artifacts.format != null) modelJson.format = artifacts.format;
      if (artifacts.generatedBy != null) modelJson.generatedBy = artifacts.generatedBy;
      if (artifacts.convertedBy != null) modelJson.convertedBy = artifacts.convertedBy;
      if (artifacts.userDefinedMetadata != null) {
        modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
      }
      if (artifacts.trainingConfig != null) modelJson.trainingConfig = artifacts.trainingConfig;
      const jsonText = JSON.stringify(modelJson);
      writeFileSync(join(dir, MODEL_JSON), jsonText);
      writeFileSync(join(dir, WEIGHTS_BIN), weights);
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: Buffer.byteLength(JSON.stringify(artifacts.modelTopology)),
          weightSpecsBytes: Buffer.byteLength(JSON.stringify(artifacts.weightSpecs ?? [])),
          weightDataBytes: weights.byteLength,
        },
      };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      return readModelArtifacts(join(dir, MODEL_JSON), options);
    },
  };
}
