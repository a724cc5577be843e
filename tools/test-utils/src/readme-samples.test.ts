import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {README_SKIP_MARKER, readmeSamples, runReadmeSample} from './readme-samples.js';

const dir = mkdtempSync(join(tmpdir(), 'readme-samples-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

function readme(text: string): string {
  const file = join(dir, `README-${Math.random().toString(36).slice(2)}.md`);
  writeFileSync(file, text);
  return file;
}

describe('readmeSamples', () => {
  it('finds each ts block with its heading, line and skip marker', () => {
    const file = readme(
      [
        '# pkg',
        '## Quick start',
        '```ts',
        'const a = 1;',
        '```',
        '```sh',
        'npm i',
        '```',
        '### Fragment',
        README_SKIP_MARKER,
        '```ts',
        'model.fit();',
        '```',
      ].join('\n'),
    );
    expect(readmeSamples(file)).toEqual([
      {heading: 'Quick start', line: 3, code: 'const a = 1;\n', skip: false},
      {heading: 'Fragment', line: 11, code: 'model.fit();\n', skip: true},
    ]);
  });

  it('refuses an unclosed block', () => {
    expect(() => readmeSamples(readme('```ts\nconst a = 1;\n'))).toThrow(
      /:1: unclosed ```ts block/,
    );
  });
});

describe('runReadmeSample', () => {
  it('runs TypeScript with top-level await and reports what it throws', async () => {
    const pkg = new URL('../', import.meta.url);
    const ok = {
      heading: 'h',
      line: 1,
      skip: false,
      code: 'const n: number = await Promise.resolve(2);\n(globalThis as Record<string, unknown>).readmeSampleRan = n;\n',
    };
    await runReadmeSample(ok, pkg);
    expect((globalThis as Record<string, unknown>).readmeSampleRan).toBe(2);
    const bad = {
      heading: 'h',
      line: 2,
      skip: false,
      code: "throw new RangeError('from the sample');\n",
    };
    await expect(runReadmeSample(bad, pkg)).rejects.toThrow('from the sample');
  });
});
