// @ts-check
// Checks every published package as npm would ship it: builds it, packs it with `npm pack`, and
// runs on the tarball (not on the source tree):
//   - publint --strict (exports, files, types, module format),
//   - attw --profile esm-only (are the types wrong: every entry point resolves to types under
//     node16 and bundler resolution; the packages are ESM-only, so CJS is out of scope),
//   - our own rules: LICENSE, README.md and CHANGELOG.md shipped; a `repository` with this
//     package's `directory`; every source map's sources shipped or embedded (sourcesContent);
//     no README link that leaves the package by a relative path (it would 404 on npmjs.com).
// Usage: node tools/pack-check/check-packs.mjs [--no-build] [package-name ...]
// PUBLINT_BIN / ATTW_BIN override the tools' paths (default: node_modules/.bin of the repo).
import {execFileSync} from 'node:child_process';
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join, posix, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * @typedef {object} Workspace
 * @property {string} name package name
 * @property {string} dir absolute directory
 * @property {string} relDir directory relative to the repository root, with `/`
 * @property {Record<string, unknown>} pkg parsed package.json
 */

/** @returns {Workspace[]} the non-private packages under packages/, sorted by directory */
export function publishedWorkspaces() {
  const base = join(ROOT, 'packages');
  return readdirSync(base)
    .filter((d) => existsSync(join(base, d, 'package.json')))
    .sort()
    .map((d) => {
      const pkg = JSON.parse(readFileSync(join(base, d, 'package.json'), 'utf8'));
      return {name: String(pkg.name), dir: join(base, d), relDir: `packages/${d}`, pkg};
    })
    .filter((w) => w.pkg.private !== true);
}

/**
 * @param {string} cmd
 * @param {string[]} args
 * @param {string} cwd
 * @returns {{ok: boolean, out: string}} exit status and combined output
 */
function run(cmd, args, cwd) {
  try {
    const out = execFileSync(cmd, args, {cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']});
    return {ok: true, out};
  } catch (err) {
    const e = /** @type {{stdout?: string, stderr?: string, message: string}} */ (err);
    return {ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}` || e.message};
  }
}

/** @param {string} name @param {string} envVar @returns {string} */
function bin(name, envVar) {
  return process.env[envVar] ?? join(ROOT, 'node_modules', '.bin', name);
}

/**
 * Our own rules on an unpacked tarball (`dir` holds `package/`).
 * @param {Workspace} ws
 * @param {string} dir
 * @returns {string[]} problems, empty when none
 */
export function checkUnpacked(ws, dir) {
  const problems = [];
  const pkgDir = join(dir, 'package');
  for (const file of ['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json']) {
    if (!existsSync(join(pkgDir, file))) problems.push(`${file} is not in the tarball`);
  }
  const repo = /** @type {{url?: string, directory?: string} | undefined} */ (ws.pkg.repository);
  if (!repo?.url || repo.directory !== ws.relDir) {
    problems.push(`package.json: repository must be {type, url, directory: '${ws.relDir}'}`);
  }
  for (const map of walk(pkgDir).filter((f) => f.endsWith('.map'))) {
    const json = JSON.parse(readFileSync(map, 'utf8'));
    /** @type {string[]} */
    const sources = json.sources ?? [];
    sources.forEach((src, i) => {
      const embedded = typeof json.sourcesContent?.[i] === 'string';
      const shipped = existsSync(resolve(dirname(map), json.sourceRoot ?? '', src));
      if (!embedded && !shipped) {
        problems.push(
          `${posix.relative(pkgDir, map)}: source ${src} is neither shipped nor in sourcesContent`,
        );
      }
    });
  }
  const readme = join(pkgDir, 'README.md');
  if (existsSync(readme)) {
    const text = readFileSync(readme, 'utf8');
    for (const m of text.matchAll(/\]\((\.\.\/[^)\s]*)\)/g)) {
      problems.push(`README.md: link ${m[1]} leaves the package; use an absolute URL`);
    }
  }
  return problems;
}

/** @param {string} dir @returns {string[]} every file under dir */
function walk(dir) {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/**
 * The workspaces ordered so that each comes after the workspaces in its `dependencies`.
 * @param {Workspace[]} list
 * @returns {Workspace[]}
 * @throws Error on a cycle of runtime dependencies (a published package could not install).
 */
export function buildOrder(list) {
  /** @type {Workspace[]} */
  const order = [];
  /** @type {Map<string, 'open' | 'done'>} */
  const state = new Map();
  /** @param {Workspace} ws */
  const visit = (ws) => {
    if (state.get(ws.name) === 'done') return;
    if (state.get(ws.name) === 'open') {
      throw new Error(`check-packs: runtime dependency cycle through ${ws.name}`);
    }
    state.set(ws.name, 'open');
    const deps = Object.keys(/** @type {Record<string, string>} */ (ws.pkg.dependencies ?? {}));
    for (const dep of list.filter((w) => deps.includes(w.name))) visit(dep);
    state.set(ws.name, 'done');
    order.push(ws);
  };
  for (const ws of list) visit(ws);
  return order;
}

/** @param {string[]} argv */
function main(argv) {
  const wanted = argv.filter((a) => !a.startsWith('--'));
  const all = publishedWorkspaces();
  const unknown = wanted.filter((n) => !all.some((w) => w.name === n));
  if (unknown.length > 0) {
    throw new TypeError(
      `check-packs: unknown package ${unknown.join(', ')}. Allowed: ${all.map((w) => w.name).join(', ')}.`,
    );
  }
  const list = wanted.length > 0 ? all.filter((w) => wanted.includes(w.name)) : all;
  if (!argv.includes('--no-build')) {
    // Each package's own build (tsc -p tsconfig.build.json), in the order of their runtime
    // dependencies: devDependencies (tests only) may point back up and must not order the builds.
    for (const ws of buildOrder(all)) {
      console.log(`building ${ws.name}`);
      const built = run('npm', ['run', 'build', '--silent'], ws.dir);
      if (!built.ok) {
        console.error(built.out);
        process.exit(1);
      }
    }
  }
  const out = mkdtempSync(join(tmpdir(), 'tfjs-amp-packs-'));
  let failed = 0;
  try {
    for (const ws of list) {
      const packed = run(
        'npm',
        ['pack', '--json', '--ignore-scripts', '--pack-destination', out],
        ws.dir,
      );
      if (!packed.ok) {
        console.error(`✗ ${ws.name}: npm pack failed\n${packed.out}`);
        failed++;
        continue;
      }
      const tarball = join(out, JSON.parse(packed.out)[0].filename);
      const unpacked = mkdtempSync(join(out, 'unpacked-'));
      execFileSync('tar', ['-xzf', tarball, '-C', unpacked]);
      const results = [
        ['publint', run(bin('publint', 'PUBLINT_BIN'), ['run', '--strict', tarball], out)],
        [
          'attw',
          run(
            bin('attw', 'ATTW_BIN'),
            [tarball, '--profile', 'esm-only', '--format', 'ascii', '--no-emoji', '--no-color'],
            out,
          ),
        ],
      ];
      const own = checkUnpacked(ws, unpacked);
      const shown =
        own.length > 12 ? [...own.slice(0, 12), `... and ${own.length - 12} more`] : own;
      results.push(['package rules', {ok: own.length === 0, out: shown.join('\n')}]);
      for (const [tool, r] of /** @type {[string, {ok: boolean, out: string}][]} */ (results)) {
        console.log(`${r.ok ? '✓' : '✗'} ${ws.name}: ${tool}`);
        if (!r.ok) {
          failed++;
          console.log(r.out.trim().replace(/^/gm, '    '));
        }
      }
    }
  } finally {
    rmSync(out, {recursive: true, force: true});
  }
  console.log(failed === 0 ? `all ${list.length} tarballs pass` : `${failed} check(s) failed`);
  process.exit(failed === 0 ? 0 : 1);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2));
}
