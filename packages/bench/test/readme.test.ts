// The README's library quick start runs as written.
import {existsSync, mkdtempSync, readFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, expect, it, vi} from 'vitest';
import * as bench from '../src/index.js';

const readme = readFileSync(
  join(dirname(fileURLToPath(import.meta.url)), '..', 'README.md'),
  'utf8',
);

/** The ```ts block of the quick start, with its import turned into parameters. */
function snippet(): {body: string; imported: string[]} {
  const section = readme.slice(readme.indexOf('## Quick start'));
  const start = section.indexOf('```ts') + 5;
  const code = section.slice(start, section.indexOf('```', start));
  const imported: string[] = [];
  const body = code.replace(/^import (.+) from '(.+)';$/gm, (_line, what: string, from: string) => {
    expect(from).toBe('@tfjs-amp/bench');
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
  it('runs as written: a table of the three policies and an HTML report', async () => {
    const {body, imported} = snippet();
    expect(imported).toEqual(['formatTable', 'runSuite', 'writeHtmlReport']);
    const dir = mkdtempSync(join(tmpdir(), 'bench-readme-'));
    const api: Record<string, unknown> = {
      ...bench,
      // Write where the test can look, not into the package folder.
      writeHtmlReport: (report: bench.SuiteReport, out: string) =>
        bench.writeHtmlReport(report, join(dir, out)),
    };
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
      ...args: string[]
    ) => (...values: unknown[]) => Promise<void>;
    await new AsyncFunction(...imported, body)(...imported.map((name) => api[name]));
    const table = String(log.mock.calls[0]![0]);
    log.mockRestore();
    for (const policy of ['float32', 'mixed_float16', 'mixed_bfloat16'])
      expect(table).toContain(policy);
    expect(existsSync(join(dir, 'bench-report', 'report.html'))).toBe(true);
  });
});
