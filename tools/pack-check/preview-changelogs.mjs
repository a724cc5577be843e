// @ts-check
// The CHANGELOG.md files that `changeset version` would write at the next release, made in a
// scratch copy (running it in the repository would consume the changesets). Fails when a
// changeset does not parse or names an unknown package, or when a published package with
// changesets would get no entry. Prints each new CHANGELOG, or writes them under --out <dir>.
// Usage: node tools/pack-check/preview-changelogs.mjs [--out dir] [--quiet]
import {execFileSync} from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** @returns {string[]} workspace directories relative to the root (packages/x, tools/y, ...) */
function workspaceDirs() {
  const rootPkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  /** @type {string[]} */
  const globs = rootPkg.workspaces;
  return globs.flatMap((g) => {
    const base = g.replace(/\/\*$/, '');
    return readdirSync(join(ROOT, base))
      .map((d) => `${base}/${d}`)
      .filter((d) => existsSync(join(ROOT, d, 'package.json')));
  });
}

/** @param {string[]} argv */
function main(argv) {
  const outIdx = argv.indexOf('--out');
  const outDir = outIdx >= 0 ? resolve(argv[outIdx + 1] ?? '') : null;
  const scratch = mkdtempSync(join(tmpdir(), 'tfjs-amp-changelogs-'));
  try {
    cpSync(join(ROOT, 'package.json'), join(scratch, 'package.json'));
    cpSync(join(ROOT, '.changeset'), join(scratch, '.changeset'), {recursive: true});
    symlinkSync(join(ROOT, 'node_modules'), join(scratch, 'node_modules'));
    const dirs = workspaceDirs();
    for (const d of dirs) {
      mkdirSync(join(scratch, d), {recursive: true});
      for (const f of ['package.json', 'CHANGELOG.md']) {
        if (existsSync(join(ROOT, d, f))) cpSync(join(ROOT, d, f), join(scratch, d, f));
      }
    }
    // changesets reads git only for commit links, which this config does not print.
    execFileSync('git', ['init', '-q'], {cwd: scratch});
    execFileSync(join(ROOT, 'node_modules', '.bin', 'changeset'), ['version'], {
      cwd: scratch,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const problems = [];
    const left = readdirSync(join(scratch, '.changeset')).filter(
      (f) => f.endsWith('.md') && f !== 'README.md',
    );
    if (left.length > 0) problems.push(`changesets not consumed: ${left.join(', ')}`);
    for (const d of dirs) {
      const pkg = JSON.parse(readFileSync(join(scratch, d, 'package.json'), 'utf8'));
      if (pkg.private) continue;
      const before = readFileSync(join(ROOT, d, 'CHANGELOG.md'), 'utf8');
      const after = readFileSync(join(scratch, d, 'CHANGELOG.md'), 'utf8');
      if (after === before) {
        console.log(`${pkg.name}: no changeset since the last release`);
        continue;
      }
      if (!/^## \d+\.\d+\.\d+/m.test(after)) problems.push(`${pkg.name}: no version heading`);
      if (outDir) {
        mkdirSync(join(outDir, d), {recursive: true});
        writeFileSync(join(outDir, d, 'CHANGELOG.md'), after);
      } else if (!argv.includes('--quiet')) {
        console.log(`\n=== ${d}/CHANGELOG.md (${pkg.version}) ===\n${after}`);
      }
    }
    if (problems.length > 0) {
      console.error(problems.join('\n'));
      process.exit(1);
    }
    console.log(`changesets → CHANGELOGs: ok${outDir ? ` (written under ${outDir})` : ''}`);
  } finally {
    rmSync(scratch, {recursive: true, force: true});
  }
}

main(process.argv.slice(2));
