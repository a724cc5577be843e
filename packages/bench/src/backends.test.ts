import * as tf from '@tensorflow/tfjs';
import {nodeBindingPresent} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {
  BackendUnavailableError,
  availableBackends,
  setupBackend,
  tfjsNodeBindingPresent,
} from './backends.js';

describe('setupBackend', () => {
  it('starts wasm and cpu', async () => {
    expect(await setupBackend('wasm')).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(await setupBackend('cpu')).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('refuses webgl and webgpu in Node.js, listing what is available', async () => {
    for (const name of ['webgl', 'webgpu']) {
      const err = await setupBackend(name).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BackendUnavailableError);
      expect((err as Error).message).toMatch(
        new RegExp(`^tfjs-amp-bench: backend '${name}' is not available here: .*Available: cpu, `),
      );
      expect((err as BackendUnavailableError).available).toEqual(availableBackends());
    }
  });

  it('rejects an unknown name with the list of backends', async () => {
    await expect(setupBackend('tpu')).rejects.toThrow(
      "tfjs-amp-bench: unknown backend 'tpu'. Allowed: cpu, tensorflow, wasm, webgl, webgpu.",
    );
  });

  it('lists tensorflow exactly when the tfjs-node binding is built', () => {
    expect(tfjsNodeBindingPresent()).toBe(nodeBindingPresent());
    expect(availableBackends().includes('tensorflow')).toBe(nodeBindingPresent());
    expect(availableBackends()).toEqual(expect.arrayContaining(['cpu', 'wasm']));
  });
});
