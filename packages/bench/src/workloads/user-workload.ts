import * as tf from '@tensorflow/tfjs';
import {existsSync} from 'node:fs';
import {basename, dirname, extname, resolve} from 'node:path';
import {pathToFileURL} from 'node:url';
import {describeValue, wrongType} from '../internal/errors.js';
import {readModelArtifacts} from '@tfjs-amp/policy/node';
import {MNIST_DATA_DESCRIPTION, mnistData} from './mnist-tensors.js';
import type {Workload} from './workload.js';

/** File name endings `--workload` accepts for a user's own workload. */
export const USER_WORKLOAD_EXTENSIONS: readonly string[] = Object.freeze([
  '.cjs',
  '.js',
  '.json',
  '.mjs',
  '.mts',
  '.ts',
]);

/** MNIST example shapes a saved model may take, by its input shape without the batch axis. */
const MNIST_SHAPES: readonly (readonly number[])[] = [[784], [28, 28, 1], [28, 28]];

async function loadModelFile(path: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(tf.io.fromMemory(readModelArtifacts(path)));
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * A workload from a saved tfjs layers model (`model.json`): trained on MNIST, shaped to the
 * model's input (`[784]`, `[28, 28, 1]` or `[28, 28]`); the output must be 10 classes. Every
 * policy starts from the file's weights.
 */
async function modelFileWorkload(path: string): Promise<Workload> {
  const probe = await loadModelFile(path);
  const inputShape = probe.inputs[0]!.shape.slice(1) as number[];
  const outputShape = probe.outputs[0]!.shape.slice(1) as number[];
  probe.dispose();
  const exampleShape = MNIST_SHAPES.find((s) => sameShape(s, inputShape));
  if (exampleShape == null || !sameShape(outputShape, [10])) {
    throw new TypeError(
      `--workload: the model in ${path} takes [${inputShape}] and gives [${outputShape}]; a saved ` +
        'model is trained on MNIST, so it must take [784], [28,28,1] or [28,28] and give [10]. ' +
        'For other data, write a workload module (see the Workload type in the README).',
    );
  }
  const name = basename(path) === 'model.json' ? basename(dirname(path)) : basename(path, '.json');
  return Object.freeze<Workload>({
    name,
    description: `${probe.name} from ${path}`,
    dataDescription: MNIST_DATA_DESCRIPTION,
    learningRate: 1e-3,
    buildModel: () => loadModelFile(path),
    loadData: (options) => mnistData(options, exampleShape),
  });
}

/** Checks that a module's export has every field of a {@link Workload}. */
function checkWorkload(value: unknown, path: string): Workload {
  const where = `--workload ${path}`;
  if (value == null || typeof value !== 'object') {
    throw wrongType(
      where,
      'the default (or `workload`) export',
      'a Workload object {name, description, dataDescription, learningRate, buildModel, loadData}',
      describeValue(value),
    );
  }
  const w = value as Record<string, unknown>;
  for (const key of ['name', 'description', 'dataDescription'] as const) {
    if (typeof w[key] !== 'string') {
      throw wrongType(where, `workload.${key}`, 'a string', describeValue(w[key]));
    }
  }
  if (typeof w.learningRate !== 'number' || !(w.learningRate > 0)) {
    throw wrongType(
      where,
      'workload.learningRate',
      'a positive number',
      describeValue(w.learningRate),
    );
  }
  for (const key of ['buildModel', 'loadData'] as const) {
    if (typeof w[key] !== 'function') {
      throw wrongType(where, `workload.${key}`, 'a function', describeValue(w[key]));
    }
  }
  return value as Workload;
}

/**
 * Loads a user's workload from a file: a saved tfjs layers model (`.json`, trained on MNIST) or
 * a module (`.js`, `.mjs`, `.cjs`; `.ts`/`.mts` when running under tsx) whose default or
 * `workload` export is a {@link Workload}.
 * @throws TypeError when the file is missing, has another extension, or does not hold a workload.
 */
export async function loadUserWorkload(path: string): Promise<Workload> {
  const absolute = resolve(path);
  const ext = extname(absolute).toLowerCase();
  if (!existsSync(absolute)) {
    throw new TypeError(`--workload: no such file '${path}' (resolved to ${absolute}).`);
  }
  if (!USER_WORKLOAD_EXTENSIONS.includes(ext)) {
    throw new TypeError(
      `--workload: cannot load '${path}': unknown file type '${ext}'. Allowed: ` +
        `${USER_WORKLOAD_EXTENSIONS.join(', ')} (a model.json or a module exporting a Workload).`,
    );
  }
  if (ext === '.json') return modelFileWorkload(absolute);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
  } catch (err) {
    const hint =
      ext === '.ts' || ext === '.mts'
        ? ' TypeScript workloads need tsx (run the bench with `tsx`), or compile the file to .js.'
        : '';
    throw new TypeError(`--workload: importing '${path}' failed: ${String(err)}.${hint}`);
  }
  return checkWorkload(mod.default ?? mod.workload, path);
}
