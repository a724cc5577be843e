import * as tf from '@tensorflow/tfjs';
import type {Layer} from './layer-walk.js';
import type {NormalizedOptions} from './registry.js';

/** Key of the policy record in a model's user-defined metadata. */
export const POLICY_METADATA_KEY = 'tfjsAmpPolicy';

/** The policy as recorded in user-defined metadata (plain JSON). */
export interface PolicyMetadata {
  readonly name: string;
  readonly overrides: Readonly<Record<string, string>>;
  readonly keepFloat32: readonly string[];
}

/** A LayersModel with its (private in the typings) metadata field, which tfjs cannot clear. */
type MetadataModel = tf.LayersModel;

function clearMetadata(model: MetadataModel): void {
  (model as unknown as {userDefinedMetadata: object | undefined}).userDefinedMetadata = undefined;
}

function asModel(layer: Layer): MetadataModel | null {
  return layer instanceof tf.LayersModel ? (layer as MetadataModel) : null;
}

/** The model's metadata without the policy record (undefined when nothing else is left). */
function metadataWithoutPolicy(model: MetadataModel): object | undefined {
  const current = model.getUserDefinedMetadata() as Record<string, unknown> | undefined;
  if (current == null) return undefined;
  const rest = {...current};
  delete rest[POLICY_METADATA_KEY];
  return Object.keys(rest).length > 0 ? rest : undefined;
}

/**
 * Records the policy in the model's user-defined metadata, which `model.save` writes to
 * model.json and `tf.loadLayersModel` reads back. Returns what to restore on remove (null for a
 * plain layer, which has no metadata).
 */
export function writePolicyMetadata(
  layer: Layer,
  name: string,
  options: NormalizedOptions,
): {value: object | undefined} | null {
  const model = asModel(layer);
  if (model == null) return null;
  const before = metadataWithoutPolicy(model);
  const record: PolicyMetadata = {
    name,
    overrides: {...options.overrides},
    keepFloat32: [...options.keepFloat32],
  };
  model.setUserDefinedMetadata({...(before ?? {}), [POLICY_METADATA_KEY]: record});
  return {value: before};
}

/** Puts back the metadata {@link writePolicyMetadata} replaced. */
export function restoreMetadata(layer: Layer, before: {value: object | undefined}): void {
  const model = asModel(layer);
  if (model == null) return;
  if (before.value === undefined) {
    // tfjs has no way to clear metadata through its API (setUserDefinedMetadata rejects undefined).
    clearMetadata(model);
  } else {
    model.setUserDefinedMetadata(before.value);
  }
}

/** The policy record in a model's metadata, unvalidated, or undefined when there is none. */
export function readPolicyMetadata(layer: Layer): unknown {
  const model = asModel(layer);
  const metadata = model?.getUserDefinedMetadata() as Record<string, unknown> | undefined;
  return metadata?.[POLICY_METADATA_KEY];
}
