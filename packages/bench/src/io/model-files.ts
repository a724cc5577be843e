import type * as tf from '@tensorflow/tfjs';
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

/**
 * Reads a tfjs layers model written by `model.save()` (model.json plus the weight files its
 * manifest names) into `ModelArtifacts`, without tfjs-node: pass them to
 * `tf.loadLayersModel(tf.io.fromMemory(artifacts))`.
 * @throws TypeError when the JSON has no `modelTopology`.
 */
export function readModelArtifacts(modelJsonPath: string): tf.io.ModelArtifacts {
  const json = JSON.parse(readFileSync(modelJsonPath, 'utf8')) as tf.io.ModelJSON;
  if (json.modelTopology == null) {
    throw new TypeError(
      `readModelArtifacts: ${modelJsonPath} has no modelTopology; expected a model.json written ` +
        "by tfjs's model.save() (a layers model).",
    );
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const group of json.weightsManifest ?? []) {
    specs.push(...group.weights);
    for (const path of group.paths) {
      buffers.push(new Uint8Array(readFileSync(resolve(dirname(modelJsonPath), path))));
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
  return artifacts;
}

/**
 * A tfjs `IOHandler` for a folder on disk, for Node.js without tfjs-node (whose `file://`
 * scheme needs the native binding): `save` writes `model.json` and one `weights.bin` into `dir`
 * (created if missing), `load` reads them back.
 * @example
 * await model.save(modelDirectoryHandler('./my-model'));
 * const again = await tf.loadLayersModel(modelDirectoryHandler('./my-model'));
 */
export function modelDirectoryHandler(dir: string): tf.io.IOHandler {
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
      return readModelArtifacts(join(dir, MODEL_JSON));
    },
  };
}
