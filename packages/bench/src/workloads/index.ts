import {invalidChoice} from '../internal/errors.js';
import {cnnWorkload} from './cnn.js';
import {cnnWideWorkload} from './cnn-wide.js';
import {mlpWorkload} from './mlp.js';
import {resnetWorkload} from './resnet.js';
import {sequenceWorkload} from './sequence.js';
import {transformerWorkload} from './transformer.js';
import {USER_WORKLOAD_EXTENSIONS, loadUserWorkload} from './user-workload.js';
import {w1Workload} from './w1.js';
import {w4Workload} from './w4.js';
import type {Workload} from './workload.js';

/** Built-in workloads, by name. */
export const BUILT_IN_WORKLOADS: Readonly<Record<string, Workload>> = Object.freeze({
  cnn: cnnWorkload,
  'cnn-wide': cnnWideWorkload,
  mlp: mlpWorkload,
  resnet: resnetWorkload,
  sequence: sequenceWorkload,
  transformer: transformerWorkload,
  w1: w1Workload,
  w4: w4Workload,
});

/** Names of the built-in workloads, sorted. */
export const WORKLOAD_NAMES: readonly string[] = Object.freeze(
  Object.keys(BUILT_IN_WORKLOADS).sort(),
);

/** Whether a `--workload` value names a file rather than a built-in. */
export function isWorkloadPath(spec: string): boolean {
  return (
    spec.includes('/') ||
    spec.includes('\\') ||
    USER_WORKLOAD_EXTENSIONS.some((ext) => spec.toLowerCase().endsWith(ext))
  );
}

/**
 * A workload by built-in name (`mlp`, `cnn`, `sequence`, `w1`, `w4`, `cnn-wide`, `resnet`,
 * `transformer`), file path, or as given.
 * @throws TypeError for an unknown name (listing the built-ins) or a file that holds no workload.
 */
export async function resolveWorkload(spec: string | Workload): Promise<Workload> {
  if (typeof spec !== 'string') return spec;
  const builtIn = BUILT_IN_WORKLOADS[spec];
  if (builtIn != null && Object.hasOwn(BUILT_IN_WORKLOADS, spec)) return builtIn;
  if (isWorkloadPath(spec)) return loadUserWorkload(spec);
  throw invalidChoice(
    'tfjs-amp-bench',
    'workload',
    spec,
    WORKLOAD_NAMES,
    `Or pass a file: a saved model.json or a module exporting a Workload (${USER_WORKLOAD_EXTENSIONS.join(', ')}).`,
  );
}

export {
  cnnWideWorkload,
  cnnWorkload,
  mlpWorkload,
  resnetWorkload,
  sequenceWorkload,
  transformerWorkload,
  w1Workload,
  w4Workload,
};
export type {Workload, WorkloadData, WorkloadDataOptions} from './workload.js';
