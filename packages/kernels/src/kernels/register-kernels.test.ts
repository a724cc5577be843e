import * as tf from '@tensorflow/tfjs';
import type {KernelConfig} from '@tensorflow/tfjs';
import {readdirSync, statSync} from 'node:fs';
import {describe, expect, it} from 'vitest';
import {AmpQuantize, ensureAmpKernels, registerAmpKernels} from '../index.js';

const here = new URL('./', import.meta.url);
const backendFolders = readdirSync(here).filter(
  (entry) => entry !== 'shared' && statSync(new URL(entry, here)).isDirectory(),
);

function isKernelList(value: unknown): value is KernelConfig[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((c) => typeof c?.kernelName === 'string')
  );
}

/**
 * The kernel lists a folder's index.ts exports: arrays of configs, or functions of a backend
 * name returning one (the generic folder). A folder may split its kernels into several lists
 * (tensorflow: new kernels and overrides).
 */
async function listedKernels(folder: string): Promise<KernelConfig[][]> {
  const index = (await import(`./${folder}/index.ts`)) as Record<string, unknown>;
  const lists = Object.values(index).flatMap((value) => {
    const list =
      typeof value === 'function' ? (value as (name: string) => unknown)('some-backend') : value;
    return isKernelList(list) ? [list] : [];
  });
  expect(lists.length, `${folder}/index.ts exports a kernel list`).toBeGreaterThan(0);
  return lists;
}

describe('kernel folders', () => {
  it('include cpu, wasm and generic', () => {
    expect(backendFolders).toEqual(expect.arrayContaining(['cpu', 'generic', 'wasm']));
  });

  it.each(backendFolders)(
    '%s/index.ts lists every kernel file of its folder, sorted',
    async (folder) => {
      const files = readdirSync(new URL(`${folder}/`, here))
        .filter((file) => file.endsWith('.ts') && file !== 'index.ts' && !file.endsWith('.test.ts'))
        .map((file) => file.replace(/\.ts$/, ''))
        .sort();
      const lists = (await listedKernels(folder)).map((list) => list.map((c) => c.kernelName));
      for (const names of lists) expect(names, 'sorted by kernel name').toEqual([...names].sort());
      const all = lists.flat().sort();
      expect(all, 'one entry per kernel file, named after it').toEqual(files);
    },
  );
});

describe('registerAmpKernels', () => {
  it('registers AmpQuantize for cpu, wasm and the known generic backends, and its gradient', () => {
    for (const backend of ['cpu', 'wasm', 'webgl', 'webgpu', 'tensorflow']) {
      expect(tf.getKernel(AmpQuantize, backend), backend).toBeDefined();
    }
    expect(tf.getGradient(AmpQuantize)).toBeDefined();
  });

  it('is idempotent and leaves a kernel registered by someone else in place', () => {
    const custom: KernelConfig = {
      kernelName: AmpQuantize,
      backendName: 'someone-else',
      kernelFunc: () => {
        throw new Error('not run');
      },
    };
    tf.registerKernel(custom);
    try {
      registerAmpKernels();
      ensureAmpKernels('someone-else');
      expect(tf.getKernel(AmpQuantize, 'someone-else')).toBe(custom);
      const cpu = tf.getKernel(AmpQuantize, 'cpu');
      registerAmpKernels();
      expect(tf.getKernel(AmpQuantize, 'cpu')).toBe(cpu);
    } finally {
      tf.unregisterKernel(AmpQuantize, 'someone-else');
    }
  });

  it('gives any other backend name the generic kernel', () => {
    ensureAmpKernels('made-up');
    try {
      expect(tf.getKernel(AmpQuantize, 'made-up')?.backendName).toBe('made-up');
    } finally {
      tf.unregisterKernel(AmpQuantize, 'made-up');
    }
  });
});
