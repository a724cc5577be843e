import * as tf from '@tensorflow/tfjs';
import {tfjsNodeBindingPresent} from '@tfjs-amp/kernels/shared/node';
import {afterAll, beforeAll, describe} from 'vitest';

/** Backends the test suites know how to start in Node. */
export type TestBackendName = 'cpu' | 'wasm' | 'tensorflow';

const loaded = new Map<TestBackendName, Promise<boolean>>();

/** What to run to include the suites that need tfjs-node's native binding. */
export const TFJS_NODE_HOW_TO_INCLUDE =
  'run `npm run provision:tfjs-node` once (builds the binding offline), then ' +
  '`TFJS_AMP_REQUIRE_NODE=1 npm test` (missing tfjs-node then fails instead of skipping)';

const announced = new Set<string>();

/**
 * Prints one line on stderr, once per suite name and test file, saying that a suite is skipped,
 * why, and what to run to include it, so a skipped suite never passes silently.
 * @example
 * announceSkip('runSuite on tensorflow', 'tfjs-node is not provisioned', TFJS_NODE_HOW_TO_INCLUDE);
 */
export function announceSkip(suite: string, reason: string, howToInclude: string): void {
  if (announced.has(suite)) return;
  announced.add(suite);
  console.warn(`[tfjs-amp] SKIPPED '${suite}': ${reason}. To include it: ${howToInclude}.`);
}

/**
 * `describe` when tfjs-node's native binding is present or `TFJS_AMP_REQUIRE_NODE=1` (then a
 * missing binding fails the suite), otherwise `describe.skip` plus an {@link announceSkip} line.
 */
export function describeWithTfjsNode(name: string, suite: () => void): void {
  if (nodeBackendRequired() || nodeBindingPresent()) {
    describe(name, suite);
    return;
  }
  announceSkip(name, "tfjs-node's native binding is not built", TFJS_NODE_HOW_TO_INCLUDE);
  describe.skip(`${name} (skipped: tfjs-node not provisioned)`, suite);
}

/** True when CI demands that tfjs-node suites run instead of skipping. */
export function nodeBackendRequired(): boolean {
  return process.env.TFJS_AMP_REQUIRE_NODE === '1';
}

async function load(name: TestBackendName): Promise<boolean> {
  switch (name) {
    case 'cpu':
      return true;
    case 'wasm':
      await import('@tensorflow/tfjs-backend-wasm');
      return true;
    case 'tensorflow':
      try {
        // tfjs-node is an optional peer; its native binding exists only once provisioned.
        await import('@tensorflow/tfjs-node' as string);
        return tf.findBackendFactory('tensorflow') != null;
      } catch (err) {
        if (nodeBackendRequired()) {
          throw new Error(
            `TFJS_AMP_REQUIRE_NODE=1 but @tensorflow/tfjs-node failed to load: ${String(err)}. ` +
              'Run `npm run provision:tfjs-node` first.',
          );
        }
        return false;
      }
  }
}

/** Loads a backend's package if needed; resolves false when it is not installed here. */
export function isBackendAvailable(name: TestBackendName): Promise<boolean> {
  let result = loaded.get(name);
  if (result == null) {
    result = load(name);
    loaded.set(name, result);
  }
  return result;
}

/** Loads (if needed) and activates a backend, throwing when it cannot be started. */
export async function useBackend(name: TestBackendName): Promise<void> {
  if (!(await isBackendAvailable(name))) {
    throw new Error(`backend '${name}' is not available in this environment`);
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tf.setBackend('${name}') failed`);
  await tf.ready();
}

/**
 * Runs the same suite once per backend. `tensorflow` (tfjs-node) is skipped when the package or
 * its native binding is missing (with a one-line notice saying how to include it), unless
 * `TFJS_AMP_REQUIRE_NODE=1`, which makes that a failure.
 */
export function describeBackends(
  names: readonly TestBackendName[],
  suite: (backend: TestBackendName) => void,
): void {
  for (const name of names) {
    if (name === 'tensorflow' && !nodeBackendRequired() && !nodeBindingPresent()) {
      announceSkip(
        'on tensorflow',
        "tfjs-node's native binding is not built",
        TFJS_NODE_HOW_TO_INCLUDE,
      );
      describe.skip(`on tensorflow (skipped: tfjs-node not provisioned)`, () => suite(name));
      continue;
    }
    describe(`on ${name}`, () => {
      let previous: string;
      beforeAll(async () => {
        previous = tf.getBackend();
        await useBackend(name);
      });
      afterAll(async () => {
        if (previous != null && previous !== name) await tf.setBackend(previous);
      });
      suite(name);
    });
  }
}

/**
 * Whether tfjs-node is installed with a built native binding (checked without loading it): the
 * one probe, `tfjsNodeBindingPresent` of `@tfjs-amp/kernels/shared/node`.
 */
export const nodeBindingPresent: () => boolean = tfjsNodeBindingPresent;
