import {readdirSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import type {KernelConfig} from '@tensorflow/tfjs';
import {describe, expect, it} from 'vitest';
import {
  tensorflowKernelConfigs,
  tensorflowKernelOverrides,
} from '../../src/kernels/tensorflow/index.js';

const folder = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'src',
  'kernels',
  'tensorflow',
);

describe('src/kernels/tensorflow/index.ts', () => {
  const lists = {tensorflowKernelConfigs, tensorflowKernelOverrides};

  it('lists every kernel file of the folder once, in one of its two lists', async () => {
    const files = readdirSync(folder).filter(
      (f) => f.endsWith('.ts') && f !== 'index.ts' && !f.endsWith('.test.ts'),
    );
    const listed = [...tensorflowKernelConfigs, ...tensorflowKernelOverrides];
    for (const file of files) {
      const module = (await import(join(folder, file))) as Record<string, unknown>;
      const configs = Object.values(module).filter(
        (v): v is KernelConfig => typeof v === 'object' && v != null && 'kernelFunc' in v,
      );
      expect(configs, `${file} exports one config`).toHaveLength(1);
      expect(configs[0]!.kernelName, `${file} is named after its kernel`).toBe(
        file.replace(/\.ts$/, ''),
      );
      expect(configs[0]!.backendName).toBe('tensorflow');
      expect(
        listed.filter((c) => c === configs[0]),
        `${file} listed once`,
      ).toHaveLength(1);
    }
    expect(listed).toHaveLength(files.length);
  });

  it.each(Object.entries(lists))('keeps %s sorted by kernel name', (_name, list) => {
    const names = list.map((c) => c.kernelName);
    expect(names).toEqual([...names].sort());
  });
});
