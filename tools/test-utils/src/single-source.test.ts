// Drift test: the helpers every package needs live once (in @tfjs-amp/kernels/shared, or in this
// package for benchmark scripts). A second definition anywhere in the repo is a fork that will
// drift (issue #13: five errors.ts, four compare-runs.ts with opposite ratio conventions), so this
// test fails on one and names the file and the home it should import from.
import {execFileSync} from 'node:child_process';
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import {join, relative} from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, expect, it} from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Each shared helper, the one file allowed to define it, and the import to use elsewhere. */
const HOMES: ReadonlyArray<{name: string; home: string; use: string}> = [
  {
    name: 'describeValue',
    home: 'packages/kernels/src/shared/errors.ts',
    use: '@tfjs-amp/kernels/shared',
  },
  {
    name: 'invalidChoice',
    home: 'packages/kernels/src/shared/errors.ts',
    use: '@tfjs-amp/kernels/shared',
  },
  {
    name: 'outOfRange',
    home: 'packages/kernels/src/shared/errors.ts',
    use: '@tfjs-amp/kernels/shared',
  },
  {
    name: 'wrongType',
    home: 'packages/kernels/src/shared/errors.ts',
    use: '@tfjs-amp/kernels/shared',
  },
  {
    name: 'wrongTypeOf',
    home: 'packages/kernels/src/shared/errors.ts',
    use: '@tfjs-amp/kernels/shared',
  },
  {
    name: 'checkInteger',
    home: 'packages/kernels/src/shared/errors.ts',
    use: '@tfjs-amp/kernels/shared',
  },
  {
    name: 'warnOnce',
    home: 'packages/kernels/src/shared/warn-once.ts',
    use: '@tfjs-amp/kernels/shared',
  },
  {
    name: 'quantile',
    home: 'packages/kernels/src/shared/quantile.ts',
    use: '@tfjs-amp/kernels/shared',
  },
  {
    name: 'timeRatio',
    home: 'packages/kernels/src/shared/quantile.ts',
    use: '@tfjs-amp/kernels/shared',
  },
  {
    name: 'parseCpuInfo',
    home: 'packages/kernels/src/native/cpu-features.ts',
    use: '@tfjs-amp/kernels/shared',
  },
  {
    name: 'cpuFeatures',
    home: 'packages/kernels/src/native/cpu-features.ts',
    use: '@tfjs-amp/kernels/shared',
  },
  {
    name: 'tfjsNodeBindingPresent',
    home: 'packages/kernels/src/shared/tfjs-node-probe.ts',
    use: '@tfjs-amp/kernels/shared/node',
  },
  {name: 'compareRuns', home: 'tools/test-utils/src/compare-runs.ts', use: '@tfjs-amp/test-utils'},
  {name: 'machineLine', home: 'tools/test-utils/src/compare-runs.ts', use: '@tfjs-amp/test-utils'},
];

/** Literals that mark a re-implementation (reading cpuinfo, locating the binding by hand). */
const MARKERS: ReadonlyArray<{
  text: string;
  home: string;
  use: string;
  allowed: readonly string[];
}> = [
  {
    text: "'/proc/cpuinfo'",
    home: 'packages/kernels/src/native/cpu-features.ts',
    use: 'cpuFeatures() from @tfjs-amp/kernels/shared',
    allowed: [],
  },
  {
    text: "'tfjs_binding.node'",
    home: 'packages/kernels/src/shared/tfjs-node-probe.ts',
    use: 'tfjsNodeBindingPresent() from @tfjs-amp/kernels/shared/node',
    // The provisioning script builds the binding, in plain JS run before any install.
    allowed: ['tools/provision-tfjs-node/'],
  },
];

const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', 'reports', 'results', 'fixtures']);
const SOURCE = /\.(ts|mts|cts|mjs|js)$/;

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, {withFileTypes: true})) {
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) sourceFiles(join(dir, entry.name), out);
    } else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) {
      out.push(join(dir, entry.name));
    }
  }
  return out;
}

/** Whether `text` defines `name` as a function, arrow or class member (not an import or a call). */
function definesName(text: string, name: string): boolean {
  const defs = [
    `function\\s+${name}\\s*[<(]`,
    `(?:const|let|var)\\s+${name}\\s*(?::[^=]+)?=\\s*(?:async\\s*)?(?:\\(|function)`,
  ];
  return defs.some((d) => new RegExp(`(?:^|[^.\\w])${d}`, 'm').test(text));
}

/**
 * The repository's source files: those git tracks (a clean checkout, as in CI: untracked build
 * output such as a local bundle is not source), or, without git, every file under the folders.
 */
function repositorySources(): string[] {
  try {
    const listed = execFileSync('git', ['ls-files', '--', 'packages', 'tools', 'examples'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    return listed
      .split('\n')
      .filter((f) => SOURCE.test(f) && !f.endsWith('.d.ts'))
      .filter((f) => !f.split('/').some((part) => SKIP_DIRS.has(part)))
      .map((f) => join(ROOT, f))
      .filter((f) => existsSync(f));
  } catch {
    return ['packages', 'tools', 'examples'].flatMap((top) => sourceFiles(join(ROOT, top)));
  }
}

const files = repositorySources();
const THIS_FILE = relative(ROOT, fileURLToPath(import.meta.url));

describe('shared code has one source', () => {
  it('finds the repository sources', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it('detects a definition and ignores imports and calls', () => {
    expect(
      definesName('export function quantile(sorted: number[], q: number) {}', 'quantile'),
    ).toBe(true);
    expect(definesName('function quantile<T>(a: T[]) {}', 'quantile')).toBe(true);
    expect(definesName('const quantile = (s: number[]) => 0;', 'quantile')).toBe(true);
    expect(definesName("import {quantile} from '@tfjs-amp/kernels/shared';", 'quantile')).toBe(
      false,
    );
    expect(definesName('const q = quantile(sorted, 0.5);', 'quantile')).toBe(false);
    expect(definesName('stats.quantile = 1;', 'quantile')).toBe(false);
  });

  for (const {name, home, use} of HOMES) {
    it(`defines ${name} only in ${home}`, () => {
      const definers = files
        .filter((f) => definesName(readFileSync(f, 'utf8'), name))
        .map((f) => relative(ROOT, f))
        .filter((f) => f !== THIS_FILE);
      const copies = definers.filter((f) => f !== home);
      expect(
        copies,
        `${name} is defined again in ${copies.join(', ')}; import it from ${use} instead`,
      ).toEqual([]);
      expect(definers, `${name} is no longer defined in ${home}; update this test`).toEqual([home]);
    });
  }

  for (const {text, home, use, allowed} of MARKERS) {
    it(`reads ${text} only in ${home}`, () => {
      const users = files
        .map((f) => relative(ROOT, f))
        .filter((f) => f !== home && f !== THIS_FILE && !allowed.some((a) => f.startsWith(a)))
        .filter((f) => readFileSync(join(ROOT, f), 'utf8').includes(text));
      expect(users, `${users.join(', ')} use ${text} directly; call ${use} instead`).toEqual([]);
    });
  }

  it('has no two identical source files in different packages', () => {
    const byBody = new Map<string, string[]>();
    for (const f of files) {
      const body = readFileSync(f, 'utf8').replace(/\s+/g, ' ').trim();
      if (body.split(' ').length < 60) continue; // index stubs and tiny configs
      byBody.set(body, [...(byBody.get(body) ?? []), relative(ROOT, f)]);
    }
    const copies = [...byBody.values()].filter((group) => group.length > 1);
    expect(copies, 'identical files: keep one and import it').toEqual([]);
  });
});
