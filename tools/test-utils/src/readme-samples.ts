import {mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';
import {describe, expect, it, vi} from 'vitest';
import {type TestBackendName, useBackend} from './backends.js';

/** One fenced code block of a README. */
export interface ReadmeSample {
  /** The nearest heading above the block (`Quick start`). */
  readonly heading: string;
  /** 1-based line of the opening fence, for messages. */
  readonly line: number;
  /** The code between the fences. */
  readonly code: string;
  /** True when the line before the fence is `<!-- readme-sample: skip -->` (a fragment). */
  readonly skip: boolean;
}

/** The marker that keeps a block out of the run (put it on the line before the fence). */
export const README_SKIP_MARKER = '<!-- readme-sample: skip -->';

/**
 * Every fenced block of `lang` (default `ts`) in a README, in order, with its heading.
 * @example readmeSamples(new URL('../README.md', import.meta.url)).length // 2
 */
export function readmeSamples(readme: URL | string, lang = 'ts'): ReadmeSample[] {
  const path = readme instanceof URL ? fileURLToPath(readme) : readme;
  const lines = readFileSync(path, 'utf8').split('\n');
  const samples: ReadmeSample[] = [];
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const h = /^#{1,6}\s+(.*)$/.exec(line);
    if (h) heading = h[1]!.trim();
    if (line.trim() !== `\`\`\`${lang}`) continue;
    const end = lines.findIndex((l, j) => j > i && l.trim() === '```');
    if (end < 0) throw new Error(`${path}:${i + 1}: unclosed \`\`\`${lang} block`);
    samples.push({
      heading,
      line: i + 1,
      code: `${lines.slice(i + 1, end).join('\n')}\n`,
      skip: lines[i - 1]?.trim() === README_SKIP_MARKER,
    });
    i = end;
  }
  return samples;
}

/**
 * Runs a README sample as written: writes it to `<packageDir>/.readme-samples/line-<n>.ts` (git-
 * ignored; inside the package so that its imports resolve as a user's would, to the workspace
 * packages) and imports it through the test runner, so TypeScript, top-level await and real
 * imports all work. The file is removed afterwards.
 * @throws whatever the sample throws.
 * @example
 * for (const s of readmeSamples(readme)) await runReadmeSample(s, new URL('..', import.meta.url));
 */
export async function runReadmeSample(sample: ReadmeSample, packageDir: URL): Promise<void> {
  const dir = join(fileURLToPath(packageDir), '.readme-samples');
  mkdirSync(dir, {recursive: true});
  const file = join(dir, `line-${sample.line}-${process.pid}.ts`);
  writeFileSync(file, sample.code);
  try {
    await import(/* @vite-ignore */ pathToFileURL(file).href);
  } finally {
    rmSync(file, {force: true});
    try {
      rmdirSync(dirname(file));
    } catch {
      // another sample of this package is still running: it removes the folder
    }
  }
}

/**
 * A vitest suite running every ```ts block of a package's README as written (skipping those
 * marked {@link README_SKIP_MARKER}, and those `only` rejects), on `backend` (default cpu), with
 * console output silenced. Use it as a package's whole `test/readme-samples.test.ts`.
 * @example describeReadmeSamples(new URL('..', import.meta.url));
 */
export function describeReadmeSamples(
  packageDir: URL,
  {
    backend = 'cpu',
    only = () => true,
  }: {backend?: TestBackendName; only?: (sample: ReadmeSample) => boolean} = {},
): void {
  const samples = readmeSamples(new URL('README.md', packageDir)).filter(only);
  describe('README samples', () => {
    it('has at least one that runs', () => {
      expect(samples.filter((s) => !s.skip).length).toBeGreaterThan(0);
    });
    for (const sample of samples) {
      (sample.skip ? it.skip : it)(
        `${sample.heading} (README.md:${sample.line}) runs`,
        async () => {
          await useBackend(backend);
          await runQuietly(sample, packageDir);
        },
      );
    }
  });
}

/** {@link runReadmeSample} with console.log/info/table/warn silenced. */
export async function runQuietly(sample: ReadmeSample, packageDir: URL): Promise<void> {
  const quiet = (['log', 'info', 'table', 'warn'] as const).map((m) =>
    vi.spyOn(console, m).mockImplementation(() => {}),
  );
  try {
    await runReadmeSample(sample, packageDir);
  } finally {
    for (const spy of quiet) spy.mockRestore();
  }
}
