// The test-layout rule of CONTRIBUTING.md, checked on every package: unit tests beside their
// module (or, for a property of a folder, opening with a comment that says what they check),
// whole-run and backend suites under test/, one name for helper files (test/support.ts).
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import {join, relative} from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, expect, it} from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SKIP = new Set(['node_modules', 'dist', 'results', 'fixtures', '.readme-samples']);

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) =>
    e.isDirectory()
      ? SKIP.has(e.name)
        ? []
        : walk(join(dir, e.name))
      : [relative(ROOT, join(dir, e.name))],
  );
}

const packages = readdirSync(join(ROOT, 'packages')).map((p) => `packages/${p}`);
const all = packages.flatMap((p) => walk(join(ROOT, p)));

/** `x.test.ts` beside `x.ts`, or `x-<aspect>.test.ts` beside `x.ts` (one aspect of x). */
function hasModule(test: string): boolean {
  const base = test.replace(/\.test\.ts$/, '');
  const parts = base.split('/').at(-1)!.split('-');
  const dir = base.slice(0, base.lastIndexOf('/') + 1);
  return parts.some((_, i) =>
    existsSync(join(ROOT, `${dir}${parts.slice(0, i + 1).join('-')}.ts`)),
  );
}

describe('test layout (CONTRIBUTING.md)', () => {
  it('sees the packages', () => {
    expect(packages.length).toBeGreaterThanOrEqual(6);
  });

  it('keeps each src/ test beside its module, or says what property it checks', () => {
    const bad = all
      .filter((f) => /\/src\/.*\.test\.ts$/.test(f))
      .filter((f) => !hasModule(f))
      .filter((f) => !readFileSync(join(ROOT, f), 'utf8').startsWith('//'));
    expect(bad, 'name the test after its module, or open it with a // comment').toEqual([]);
  });

  it('has tests only in src/ and test/', () => {
    const bad = all.filter(
      (f) => /\.test(-d)?\.ts$/.test(f) && !/^packages\/[^/]+\/(src|test)\//.test(f),
    );
    expect(bad).toEqual([]);
  });

  it('calls helper files support.ts', () => {
    const bad = all.filter((f) =>
      /\/test\/(.*\/)?(helpers?|utils?|test-utils?|common)(\.ts|\/)/.test(f),
    );
    expect(bad, 'rename to test/support.ts (or test/<backend>/support.ts)').toEqual([]);
  });
});
