import * as tf from '@tensorflow/tfjs';
import {createRequire} from 'node:module';
import {tfjsNodeBindingPresent} from '@tfjs-amp/kernels/shared/node';
import {invalidChoice} from './internal/errors.js';

/** Backends `--backend` accepts, sorted. */
export const BACKEND_NAMES = Object.freeze([
  'cpu',
  'tensorflow',
  'wasm',
  'webgl',
  'webgpu',
] as const);

/** One of {@link BACKEND_NAMES}. */
export type BackendName = (typeof BACKEND_NAMES)[number];

/** Whether `name` is one of {@link BACKEND_NAMES}. */
export function isBackendName(name: unknown): name is BackendName {
  return typeof name === 'string' && (BACKEND_NAMES as readonly string[]).includes(name);
}

/** Thrown when a backend cannot start here; the message lists the ones that can. */
export class BackendUnavailableError extends Error {
  /** The backend asked for. */
  readonly backend: BackendName;
  /** Backends that can start in this process. */
  readonly available: readonly BackendName[];

  constructor(backend: BackendName, reason: string, available: readonly BackendName[]) {
    super(
      `tfjs-amp-bench: backend '${backend}' is not available here: ${reason}. ` +
        `Available: ${available.join(', ') || 'none'}.`,
    );
    this.name = 'BackendUnavailableError';
    this.backend = backend;
    this.available = available;
  }
}

const require = createRequire(import.meta.url);

function resolvable(pkg: string): boolean {
  try {
    require.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

export {tfjsNodeBindingPresent};

/** Why a backend cannot start in this process, or null when it probably can (no side effects). */
function unavailableReason(name: BackendName): string | null {
  switch (name) {
    case 'cpu':
      return null;
    case 'wasm':
      return resolvable('@tensorflow/tfjs-backend-wasm')
        ? null
        : '@tensorflow/tfjs-backend-wasm is not installed (npm i @tensorflow/tfjs-backend-wasm)';
    case 'tensorflow':
      if (!resolvable('@tensorflow/tfjs-node')) {
        return '@tensorflow/tfjs-node is not installed (npm i @tensorflow/tfjs-node)';
      }
      return tfjsNodeBindingPresent()
        ? null
        : "@tensorflow/tfjs-node's native binding is not built (in this repository: " +
            '`npm run provision:tfjs-node`)';
    case 'webgl':
      return typeof (globalThis as {document?: unknown}).document === 'undefined'
        ? 'WebGL needs a browser (Node.js has no WebGL context)'
        : null;
    case 'webgpu':
      if (typeof (globalThis as {navigator?: {gpu?: unknown}}).navigator?.gpu === 'undefined') {
        return 'WebGPU needs a browser with navigator.gpu (Node.js has none)';
      }
      return resolvable('@tensorflow/tfjs-backend-webgpu')
        ? null
        : '@tensorflow/tfjs-backend-webgpu is not installed';
  }
}

/** Backends that can start in this process, by a check that loads nothing. */
export function availableBackends(): BackendName[] {
  return BACKEND_NAMES.filter((name) => unavailableReason(name) == null);
}

async function importBackend(name: BackendName): Promise<void> {
  switch (name) {
    case 'wasm':
      await import('@tensorflow/tfjs-backend-wasm');
      return;
    case 'tensorflow':
      // Optional peer with a native binding: load it only when asked for.
      await import('@tensorflow/tfjs-node' as string);
      return;
    case 'webgpu':
      await import('@tensorflow/tfjs-backend-webgpu' as string);
      return;
    default:
      return;
  }
}

/**
 * Loads a backend's package when needed and makes it the active tfjs backend.
 * @throws TypeError for a name not in {@link BACKEND_NAMES}.
 * @throws BackendUnavailableError when it cannot start here (missing package, no native binding,
 *   no WebGL / WebGPU in Node.js); the message lists the backends that can.
 */
export async function setupBackend(name: string): Promise<BackendName> {
  if (!isBackendName(name)) throw invalidChoice('tfjs-amp-bench', 'backend', name, BACKEND_NAMES);
  const reason = unavailableReason(name);
  if (reason != null) throw new BackendUnavailableError(name, reason, availableBackends());
  try {
    await importBackend(name);
    const ok = await tf.setBackend(name);
    if (!ok) throw new Error(`tf.setBackend('${name}') returned false`);
    await tf.ready();
  } catch (err) {
    throw new BackendUnavailableError(
      name,
      `it failed to start (${err instanceof Error ? err.message : String(err)})`,
      availableBackends().filter((b) => b !== name),
    );
  }
  return name;
}
