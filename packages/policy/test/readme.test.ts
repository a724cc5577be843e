// The README's quick start runs as written.
import * as tf from '@tensorflow/tfjs';
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, expect, it, vi} from 'vitest';
import * as policy from '../src/index.js';

const readme = readFileSync(
  join(dirname(fileURLToPath(import.meta.url)), '..', 'README.md'),
  'utf8',
);

/** The first ```ts block after a heading, with its imports turned into parameters. */
function quickStart(): {body: string; imported: string[]} {
  const section = readme.slice(readme.indexOf('## Quick start'));
  const code = section.slice(
    section.indexOf('```ts') + 5,
    section.indexOf('```', section.indexOf('```ts') + 5),
  );
  const imported: string[] = [];
  const body = code.replace(/^import (.+) from '(.+)';$/gm, (_line, what: string, from: string) => {
    if (from === '@tensorflow/tfjs') return '';
    expect(from).toBe('@tfjs-amp/policy');
    imported.push(
      ...what
        .replace(/[{}]/g, '')
        .split(',')
        .map((s) => s.trim()),
    );
    return '';
  });
  return {body, imported};
}

describe('README quick start', () => {
  it('runs as written and prints the policy table', async () => {
    const {body, imported} = quickStart();
    expect(imported).toEqual(['applyPolicy', 'describePolicy']);
    const table = vi.spyOn(console, 'table').mockImplementation(() => {});
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
      ...args: string[]
    ) => (...values: unknown[]) => Promise<void>;
    const run = new AsyncFunction('tf', ...imported, body);
    const api = policy as unknown as Record<string, unknown>;
    await run(tf, ...imported.map((name) => api[name]));
    const rows = table.mock.calls[0]![0] as policy.PolicyRow[];
    expect(rows.map((r) => [r.computeFormat, r.outputFormat])).toEqual([
      ['float16', 'float16'],
      ['float16', 'float32'],
    ]);
    table.mockRestore();
  });
});
