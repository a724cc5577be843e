/**
 * `@tfjs-amp/policy/node`: model files on a Node file system, without tfjs-node — a
 * `tf.io.IOHandler` for `saveModelWithPolicy` / `loadLayersModelWithPolicy` that writes and reads
 * `model.json` + `weights.bin` in a folder (checked: a truncated or corrupt weight file names the
 * file and the weight). Kept apart from the main entry so that browser bundles never see `node:fs`.
 */
export {
  MODEL_JSON,
  modelDirectoryHandler,
  readModelArtifacts,
  WEIGHTS_BIN,
} from './model-files.js';
export type {ReadModelOptions} from './model-files.js';
