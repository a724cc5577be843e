#!/usr/bin/env node
// Provision the native binding of @tensorflow/tfjs-node without internet
// access to storage.googleapis.com.
//
// tfjs-node's own install script downloads libtensorflow 2.9.1 from
// storage.googleapis.com, which is unreachable here (and the repo's .npmrc sets
// ignore-scripts=true anyway). Instead this script:
//   1. locates the installed @tensorflow/tfjs-node (resolved from the repo root)
//      and reads where its binding expects things (binding.gyp, binary.module_path),
//   2. downloads a pinned TensorFlow CPU wheel from PyPI with `pip download`
//      (cached, sha256-pinned) and extracts only libtensorflow_cc.so.2,
//      libtensorflow_framework.so.2 and the C API headers,
//   3. lays them out as <tfjs-node>/deps/{lib,include},
//   4. builds tfjs_binding.node from source with node-gyp against the local Node
//      headers (nothing is downloaded),
//   5. checks the binding's TF symbols resolve, loads tfjs-node in a child
//      process and checks backend/matMul/TF version,
//   6. writes a stamp so a second run is a quick check.
//
// Usage: node tools/provision-tfjs-node/provision.mjs [--force] [--check] [--no-verify] [--verbose]
// See README.md next to this file.

import {spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import fs from 'node:fs';
import {createRequire} from 'node:module';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

// ---------------------------------------------------------------------------
// Pinned TensorFlow wheel. libtensorflow_cc.so.2 in this wheel exports the TF C
// API and eager C API (TF_*, TFE_*) used by the tfjs-node binding, and
// libtensorflow_framework.so.2 the TF_Tensor/TF_Status/TF_Buffer parts.
// The library does not link libpython, so the wheel's python tag is irrelevant;
// we pin one so the download does not depend on the local python.
// To bump: change version/filename/sha256/size (see README "Bumping TF").
// ---------------------------------------------------------------------------
const TF_WHEEL = Object.freeze({
  project: 'tensorflow-cpu',
  version: '2.21.0',
  implementation: 'cp',
  pythonVersion: '3.11',
  abi: 'cp311',
  platform: 'manylinux_2_27_x86_64',
  filename: 'tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl',
  sha256: '2b847d217b02ee7731ed91431daf3250daa0196c3c94614d23be27232e6e5b6c',
  size: 273829956,
});

// Members extracted from the wheel. Libraries go to lib/, headers (with the
// `tensorflow/include/` prefix stripped) to include/.
const WHEEL_LIBS = Object.freeze({
  cc: 'tensorflow/libtensorflow_cc.so.2',
  framework: 'tensorflow/libtensorflow_framework.so.2',
});
const WHEEL_INCLUDE_PREFIX = 'tensorflow/include/';
// Exactly what tfjs-node's binding/*.cc transitively include (measured with the
// compiler's .d files): the C API headers plus the inline TF_TString helpers.
const WHEEL_HEADER_GLOBS = Object.freeze([
  'tensorflow/include/tensorflow/c/*',
  'tensorflow/include/tensorflow/core/platform/ctstring*',
  'tensorflow/include/tsl/platform/ctstring*',
  'tensorflow/include/xla/tsl/c/*',
]);
const REQUIRED_HEADERS = Object.freeze(['tensorflow/c/c_api.h', 'tensorflow/c/eager/c_api.h']);

const STAMP_NAME = 'tfjs-amp-provision.json';
const STAMP_SCHEMA = 1;
const SCRIPT_DIR = path.dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------------------
// small helpers
// ---------------------------------------------------------------------------
class ProvisionError extends Error {}
const fail = (msg) => {
  throw new ProvisionError(msg);
};

const args = new Set(process.argv.slice(2));
const HELP = `Usage: provision-tfjs-node [--force] [--check] [--no-verify] [--verbose]

Builds @tensorflow/tfjs-node's native binding offline from the ${TF_WHEEL.project}==${TF_WHEEL.version} PyPI wheel.

  --force      re-extract the libraries and recompile the binding even if the stamp matches
               (the downloaded wheel in the cache is reused; the cached binding is replaced)
  --check      only report whether the binding is provisioned (exit 0) or not (exit 3); changes nothing
  --no-verify  on the fast path, trust the stamp and skip loading tfjs-node in a child process
  --verbose    stream node-gyp output

Environment:
  TFJS_AMP_CACHE_DIR   cache directory (default: \${XDG_CACHE_HOME:-~/.cache}/tfjs-amp)
  TFJS_AMP_PYTHON      python interpreter used for pip (default: python3)
  npm_config_nodedir   Node installation prefix holding include/node (default: derived from process.execPath)
  npm_config_node_gyp  node-gyp.js to use (default: the one bundled with npm)
`;
for (const a of args) {
  if (!['--force', '--check', '--no-verify', '--verbose', '--help', '-h'].includes(a)) {
    process.stderr.write(`provision-tfjs-node: unknown argument ${a}\n\n${HELP}`);
    process.exit(2);
  }
}
if (args.has('--help') || args.has('-h')) {
  process.stdout.write(HELP);
  process.exit(0);
}
const FORCE = args.has('--force');
const CHECK_ONLY = args.has('--check');
const NO_VERIFY = args.has('--no-verify');
const VERBOSE = args.has('--verbose');

const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
const log = (msg) => process.stdout.write(`[provision-tfjs-node ${elapsed()}] ${msg}\n`);

function run(cmd, argv, opts = {}) {
  const res = spawnSync(cmd, argv, {encoding: 'utf8', maxBuffer: 1 << 30, ...opts});
  if (res.error) fail(`could not run ${cmd}: ${res.error.message}`);
  if (res.signal) fail(`${path.basename(cmd)} was terminated by ${res.signal}`);
  return res;
}

function which(cmd) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {}
  }
  return null;
}

const exists = (p) => fs.existsSync(p);
const readJson = (p) => JSON.parse(fs.readFileSync(p, 'utf8'));
function tryReadJson(p) {
  try {
    return readJson(p);
  } catch {
    return null;
  }
}
const rmrf = (p) => fs.rmSync(p, {recursive: true, force: true});

function sha256File(p) {
  const h = createHash('sha256');
  const fd = fs.openSync(p, 'r');
  const buf = Buffer.allocUnsafe(8 << 20);
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(n === buf.length ? buf : buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

/** Hard link (fast, shares the cache's inode, survives cache deletion); copy if not possible. */
function linkOrCopy(src, dst) {
  rmrf(dst);
  try {
    fs.linkSync(src, dst);
  } catch {
    fs.copyFileSync(src, dst, fs.constants.COPYFILE_FICLONE);
  }
}

// ---------------------------------------------------------------------------
// 1. locate the repo and @tensorflow/tfjs-node, read its binding layout
// ---------------------------------------------------------------------------
function findRepoRoot() {
  let dir = SCRIPT_DIR;
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (exists(pj) && tryReadJson(pj)?.workspaces) return dir;
    const parent = path.dirname(dir);
    if (parent === dir)
      fail(
        `could not find the workspace root (package.json with "workspaces") above ${SCRIPT_DIR}`,
      );
    dir = parent;
  }
}

function locateTfjsNode(repoRoot) {
  const req = createRequire(path.join(repoRoot, 'package.json'));
  let pkgJsonPath;
  try {
    pkgJsonPath = req.resolve('@tensorflow/tfjs-node/package.json');
  } catch {
    fail(
      `@tensorflow/tfjs-node is not installed (resolved from ${repoRoot}). Run \`npm install\` at the repo root first.`,
    );
  }
  const dir = path.dirname(pkgJsonPath);
  const pkg = readJson(pkgJsonPath);
  const gypPath = path.join(dir, 'binding.gyp');
  if (!exists(gypPath)) fail(`${gypPath} is missing; cannot build the binding from source`);
  const gyp = fs.readFileSync(gypPath, 'utf8');

  // Check the Linux layout this script produces is what binding.gyp links against.
  const expect = [
    ["'-ltensorflow'", 'links -ltensorflow'],
    ["'-ltensorflow_framework'", 'links -ltensorflow_framework'],
    ['<(module_root_dir)/deps/lib', 'library_dirs deps/lib'],
    ['<(module_root_dir)/deps/include', 'tensorflow_include_dir deps/include'],
    ['$ORIGIN/../../deps/lib', 'rpath $ORIGIN/../../deps/lib'],
  ];
  for (const [needle, what] of expect) {
    if (!gyp.includes(needle)) {
      fail(
        `${gypPath} no longer ${what} (looked for ${needle}); this script needs updating for tfjs-node ${pkg.version}`,
      );
    }
  }

  const binary = pkg.binary;
  if (!binary?.module_name || !binary?.module_path)
    fail(`${pkgJsonPath} has no binary.module_name/module_path`);

  // Where dist/index.js loads the addon from: node-pre-gyp's find() on package.json.
  let bindingPath = null;
  try {
    const tfReq = createRequire(pkgJsonPath);
    bindingPath = tfReq('@mapbox/node-pre-gyp').find(pkgJsonPath);
  } catch {}
  let napi;
  if (bindingPath) {
    const m = /napi-v(\d+)/.exec(bindingPath);
    if (!m)
      fail(`cannot derive the N-API build version from node-pre-gyp's binding path ${bindingPath}`);
    napi = Number(m[1]);
  } else {
    // Same rule as node-pre-gyp: highest napi_versions entry the running Node supports.
    const supported = Number(process.versions.napi);
    const cands = (binary.napi_versions || []).filter((v) => v <= supported);
    if (!cands.length) fail(`Node's N-API ${supported} is not in tfjs-node's binary.napi_versions`);
    napi = Math.max(...cands);
    const modulePath = binary.module_path.replace('{napi_build_version}', String(napi));
    bindingPath = path.resolve(dir, modulePath, `${binary.module_name}.node`);
  }
  const moduleDir = path.dirname(bindingPath);
  // The rpath is relative to the addon: $ORIGIN/../../deps/lib must be <dir>/deps/lib.
  if (path.resolve(moduleDir, '../../deps/lib') !== path.join(dir, 'deps', 'lib')) {
    fail(
      `binding path ${bindingPath} does not match the rpath $ORIGIN/../../deps/lib in binding.gyp`,
    );
  }
  return {
    dir,
    version: pkg.version,
    moduleName: binary.module_name,
    napi,
    bindingPath,
    moduleDir,
    depsDir: path.join(dir, 'deps'),
    depsLib: path.join(dir, 'deps', 'lib'),
    depsInclude: path.join(dir, 'deps', 'include'),
  };
}

// ---------------------------------------------------------------------------
// stamp handling
// ---------------------------------------------------------------------------
function expectedStamp(tfn) {
  return {
    schema: STAMP_SCHEMA,
    tfPackage: TF_WHEEL.project,
    tfVersion: TF_WHEEL.version,
    wheelSha256: TF_WHEEL.sha256,
    tfjsNodeVersion: tfn.version,
    nodeAbi: process.versions.modules,
    napiBuildVersion: tfn.napi,
    platform: `${process.platform}-${process.arch}`,
    binding: path.relative(tfn.dir, tfn.bindingPath),
  };
}

function stampProblem(tfn) {
  const stampPath = path.join(tfn.depsDir, STAMP_NAME);
  const stamp = tryReadJson(stampPath);
  if (!stamp) return 'no stamp';
  const want = expectedStamp(tfn);
  for (const [k, v] of Object.entries(want)) {
    if (stamp[k] !== v)
      return `stamp ${k} is ${JSON.stringify(stamp[k])}, want ${JSON.stringify(v)}`;
  }
  const files = [
    tfn.bindingPath,
    path.join(tfn.depsLib, 'libtensorflow_cc.so.2'),
    path.join(tfn.depsLib, 'libtensorflow_framework.so.2'),
    ...REQUIRED_HEADERS.map((h) => path.join(tfn.depsInclude, h)),
  ];
  for (const f of files) if (!exists(f)) return `missing ${f}`;
  return null;
}

// ---------------------------------------------------------------------------
// locking (serialises concurrent runs sharing a cache dir)
// ---------------------------------------------------------------------------
function pidAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

async function withLock(cacheDir, fn) {
  const lockDir = path.join(cacheDir, 'provision.lock');
  const pidFile = path.join(lockDir, 'pid');
  const deadline = Date.now() + 60 * 60 * 1000;
  let announced = false;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(pidFile, String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let pid = null;
      let age = 0;
      try {
        pid = Number(fs.readFileSync(pidFile, 'utf8'));
      } catch {}
      try {
        age = Date.now() - fs.statSync(lockDir).mtimeMs;
      } catch {
        continue;
      }
      if ((pid && !pidAlive(pid)) || (!pid && age > 30_000)) {
        rmrf(lockDir); // stale lock from a killed run
        continue;
      }
      if (Date.now() > deadline)
        fail(`timed out waiting for the lock ${lockDir} (held by pid ${pid})`);
      if (!announced) {
        log(`waiting for another provision run (pid ${pid}) holding ${lockDir} ...`);
        announced = true;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  const release = () => rmrf(lockDir);
  const onSignal = (sig) => {
    release();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await fn();
  } finally {
    release();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

// ---------------------------------------------------------------------------
// 2. obtain libtensorflow from the wheel (cached)
// ---------------------------------------------------------------------------
function cacheRoot() {
  if (process.env.TFJS_AMP_CACHE_DIR) return path.resolve(process.env.TFJS_AMP_CACHE_DIR);
  const xdg = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(xdg, 'tfjs-amp');
}

function python() {
  return process.env.TFJS_AMP_PYTHON || 'python3';
}

function ensureWheel(cacheDir) {
  const wheelDir = path.join(cacheDir, 'wheels');
  const wheelPath = path.join(wheelDir, TF_WHEEL.filename);
  if (exists(wheelPath)) {
    if (
      fs.statSync(wheelPath).size === TF_WHEEL.size &&
      sha256File(wheelPath) === TF_WHEEL.sha256
    ) {
      log(`using cached wheel ${wheelPath}`);
      return wheelPath;
    }
    log(`cached wheel ${wheelPath} is corrupt; downloading again`);
    rmrf(wheelPath);
  }
  fs.mkdirSync(wheelDir, {recursive: true});
  const py = python();
  const pipCheck = run(py, ['-m', 'pip', '--version']);
  if (pipCheck.status !== 0) {
    fail(
      `\`${py} -m pip\` is not available (${(pipCheck.stderr || '').trim()}); install pip or set TFJS_AMP_PYTHON`,
    );
  }
  const tmp = fs.mkdtempSync(path.join(wheelDir, '.download-'));
  try {
    const reqFile = path.join(tmp, 'requirements.txt');
    fs.writeFileSync(
      reqFile,
      `${TF_WHEEL.project}==${TF_WHEEL.version} --hash=sha256:${TF_WHEEL.sha256}\n`,
    );
    const pipArgs = [
      '-m',
      'pip',
      'download',
      '--no-deps',
      '--only-binary=:all:',
      '--implementation',
      TF_WHEEL.implementation,
      '--python-version',
      TF_WHEEL.pythonVersion,
      '--abi',
      TF_WHEEL.abi,
      '--platform',
      TF_WHEEL.platform,
      '--no-cache-dir',
      '--disable-pip-version-check',
      '--dest',
      tmp,
      '-r',
      reqFile,
    ];
    log(
      `downloading ${TF_WHEEL.filename} (${(TF_WHEEL.size / 2 ** 20).toFixed(0)} MiB) from PyPI: ${py} ${pipArgs.join(' ')}`,
    );
    const res = run(py, pipArgs, {stdio: ['ignore', 'inherit', 'inherit']});
    if (res.status !== 0)
      fail(
        `pip download of ${TF_WHEEL.project}==${TF_WHEEL.version} failed (exit ${res.status}); is PyPI reachable?`,
      );
    const got = path.join(tmp, TF_WHEEL.filename);
    if (!exists(got)) {
      fail(
        `pip did not produce ${TF_WHEEL.filename} (got: ${fs.readdirSync(tmp).join(', ') || 'nothing'})`,
      );
    }
    const sum = sha256File(got);
    if (sum !== TF_WHEEL.sha256)
      fail(`sha256 mismatch for ${TF_WHEEL.filename}: got ${sum}, pinned ${TF_WHEEL.sha256}`);
    fs.renameSync(got, wheelPath);
  } finally {
    rmrf(tmp);
  }
  return wheelPath;
}

function extractedDirName() {
  return `${TF_WHEEL.project}-${TF_WHEEL.version}-${TF_WHEEL.platform}`;
}

/** Returns {lib, include} directories in the cache holding the extracted files. */
function ensureExtracted(cacheDir, force) {
  const root = path.join(cacheDir, 'libtensorflow');
  const dest = path.join(root, extractedDirName());
  const marker = path.join(dest, '.complete.json');
  const lib = path.join(dest, 'lib');
  const include = path.join(dest, 'include');
  const ok = () =>
    tryReadJson(marker)?.sha256 === TF_WHEEL.sha256 &&
    Object.values(WHEEL_LIBS).every((m) => exists(path.join(lib, path.basename(m)))) &&
    REQUIRED_HEADERS.every((h) => exists(path.join(include, h)));
  if (!force && ok()) {
    log(`using cached libtensorflow ${dest}`);
    return {lib, include};
  }
  const wheelPath = ensureWheel(cacheDir);
  fs.mkdirSync(root, {recursive: true});
  const tmp = fs.mkdtempSync(path.join(root, '.extract-'));
  try {
    const raw = path.join(tmp, 'raw');
    fs.mkdirSync(raw);
    const members = [...Object.values(WHEEL_LIBS), ...WHEEL_HEADER_GLOBS];
    if (which('unzip')) {
      log(`extracting ${members.length} patterns with unzip ...`);
      const res = run('unzip', ['-q', '-o', wheelPath, ...members, '-d', raw]);
      // 11 = "no matching files" for some pattern; the required files are checked below.
      if (res.status !== 0 && res.status !== 11)
        fail(`unzip failed (exit ${res.status}): ${res.stderr}`);
    } else {
      log('unzip not found; extracting with python zipfile ...');
      const code = [
        'import sys, zipfile, fnmatch',
        'whl, dest, pats = sys.argv[1], sys.argv[2], sys.argv[3:]',
        'z = zipfile.ZipFile(whl)',
        '[z.extract(n, dest) for n in z.namelist() if not n.endswith("/") and any(fnmatch.fnmatchcase(n, p) for p in pats)]',
      ].join('\n');
      const res = run(python(), ['-c', code, wheelPath, raw, ...members]);
      if (res.status !== 0) fail(`python zipfile extraction failed: ${res.stderr}`);
    }
    const stage = path.join(tmp, 'stage');
    fs.mkdirSync(path.join(stage, 'lib'), {recursive: true});
    for (const m of Object.values(WHEEL_LIBS)) {
      const src = path.join(raw, m);
      if (!exists(src)) fail(`${m} is not in ${TF_WHEEL.filename}`);
      const dst = path.join(stage, 'lib', path.basename(m));
      fs.renameSync(src, dst);
      fs.chmodSync(dst, 0o755);
    }
    const incSrc = path.join(raw, WHEEL_INCLUDE_PREFIX);
    for (const h of REQUIRED_HEADERS) {
      if (!exists(path.join(incSrc, h)))
        fail(`${WHEEL_INCLUDE_PREFIX}${h} is not in ${TF_WHEEL.filename}`);
    }
    fs.renameSync(incSrc, path.join(stage, 'include'));
    fs.writeFileSync(
      path.join(stage, '.complete.json'),
      `${JSON.stringify({wheel: TF_WHEEL.filename, sha256: TF_WHEEL.sha256, extractedAt: new Date().toISOString()}, null, 2)}\n`,
    );
    rmrf(dest);
    fs.renameSync(stage, dest);
  } finally {
    rmrf(tmp);
  }
  log(`extracted libtensorflow into ${dest}`);
  return {lib, include};
}

// ---------------------------------------------------------------------------
// 3. lay out <tfjs-node>/deps
// ---------------------------------------------------------------------------
function placeDeps(tfn, extracted) {
  rmrf(tfn.depsDir);
  fs.mkdirSync(tfn.depsLib, {recursive: true});
  for (const m of Object.values(WHEEL_LIBS)) {
    const name = path.basename(m);
    linkOrCopy(path.join(extracted.lib, name), path.join(tfn.depsLib, name));
  }
  // binding.gyp links `-ltensorflow -ltensorflow_framework` from deps/lib; the
  // resulting DT_NEEDED entries are the SONAMEs (libtensorflow_cc.so.2,
  // libtensorflow_framework.so.2), found at runtime via rpath $ORIGIN/../../deps/lib.
  fs.symlinkSync('libtensorflow_cc.so.2', path.join(tfn.depsLib, 'libtensorflow.so'));
  fs.symlinkSync('libtensorflow_cc.so.2', path.join(tfn.depsLib, 'libtensorflow.so.2'));
  fs.symlinkSync(
    'libtensorflow_framework.so.2',
    path.join(tfn.depsLib, 'libtensorflow_framework.so'),
  );
  fs.cpSync(extracted.include, tfn.depsInclude, {recursive: true});
  log(`placed libtensorflow into ${tfn.depsDir}`);
}

// ---------------------------------------------------------------------------
// 4. build the binding with node-gyp
// ---------------------------------------------------------------------------
function findNodeDir() {
  const cands = [
    process.env.npm_config_nodedir,
    path.resolve(path.dirname(process.execPath), '..'),
  ].filter(Boolean);
  for (const c of cands) {
    if (
      exists(path.join(c, 'include', 'node', 'common.gypi')) &&
      exists(path.join(c, 'include', 'node', 'node_api.h'))
    ) {
      return c;
    }
  }
  fail(
    `no local Node headers (include/node/common.gypi + node_api.h) under ${cands.join(' or ')}; set npm_config_nodedir to a Node prefix that has them`,
  );
}

function findNodeGyp(repoRoot) {
  const cands = [];
  if (process.env.npm_config_node_gyp) cands.push(process.env.npm_config_node_gyp);
  try {
    cands.push(
      createRequire(path.join(repoRoot, 'package.json')).resolve('node-gyp/bin/node-gyp.js'),
    );
  } catch {}
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  cands.push(
    path.join(
      prefix,
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
  );
  const npmCli = which('npm');
  if (npmCli) {
    const npmDir = path.resolve(path.dirname(fs.realpathSync(npmCli)), '..');
    cands.push(path.join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  const found = cands.find((c) => exists(c));
  if (!found) fail(`node-gyp not found (looked at ${cands.join(', ')}); set npm_config_node_gyp`);
  return found;
}

function buildBinding(tfn, repoRoot, cacheDir) {
  for (const tool of ['make', 'g++'])
    if (!which(tool)) fail(`${tool} is required to build the binding but is not on PATH`);
  if (!which(python())) fail(`${python()} (needed by node-gyp) is not on PATH`);
  const nodeDir = findNodeDir();
  const nodeGyp = findNodeGyp(repoRoot);
  const gypArgs = [
    nodeGyp,
    'rebuild',
    `--nodedir=${nodeDir}`,
    `--module_name=${tfn.moduleName}`,
    `--module_path=${tfn.moduleDir}`,
    `--napi_build_version=${tfn.napi}`,
    `--jobs=${Math.max(1, os.availableParallelism?.() ?? os.cpus().length)}`,
  ];
  if (process.env.TFJS_AMP_PYTHON) gypArgs.push(`--python=${process.env.TFJS_AMP_PYTHON}`);
  log(`building binding: (cd ${tfn.dir} && ${process.execPath} ${gypArgs.join(' ')})`);
  rmrf(tfn.bindingPath);
  const logDir = path.join(cacheDir, 'logs');
  fs.mkdirSync(logDir, {recursive: true});
  const logFile = path.join(logDir, 'node-gyp.log');
  const res = run(process.execPath, gypArgs, {
    cwd: tfn.dir,
    stdio: VERBOSE ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'],
  });
  if (!VERBOSE) fs.writeFileSync(logFile, `${res.stdout}\n${res.stderr}`);
  if (res.status !== 0) {
    const tail = `${res.stdout}\n${res.stderr}`.trim().split('\n').slice(-40).join('\n');
    fail(
      `node-gyp rebuild failed (exit ${res.status}).${VERBOSE ? '' : ` Full log: ${logFile}\n${tail}`}`,
    );
  }
  if (!exists(tfn.bindingPath)) fail(`node-gyp succeeded but ${tfn.bindingPath} was not produced`);
  log(`built ${tfn.bindingPath}`);
}

/**
 * Cache key of a built addon: everything that goes into it (binding sources,
 * libtensorflow wheel, N-API version, Node ABI, platform). A fresh node_modules
 * (e.g. after `npm ci`) then reuses the cached addon instead of recompiling.
 */
function bindingCacheKey(tfn) {
  const h = createHash('sha256');
  h.update(
    JSON.stringify({
      schema: STAMP_SCHEMA,
      wheel: TF_WHEEL.sha256,
      tfjsNode: tfn.version,
      napi: tfn.napi,
      abi: process.versions.modules,
      platform: `${process.platform}-${process.arch}`,
    }),
  );
  const bindingDir = path.join(tfn.dir, 'binding');
  const files = [
    'binding.gyp',
    ...fs
      .readdirSync(bindingDir)
      .sort()
      .map((f) => `binding/${f}`),
  ];
  for (const f of files) {
    h.update(`\0${f}\0`);
    h.update(fs.readFileSync(path.join(tfn.dir, f)));
  }
  return `tfjs-node-${tfn.version}-napi${tfn.napi}-${h.digest('hex').slice(0, 16)}`;
}

/** Copies a cached addon into place; returns false when there is none. */
function restoreCachedBinding(tfn, cacheDir) {
  const cached = path.join(cacheDir, 'bindings', bindingCacheKey(tfn), `${tfn.moduleName}.node`);
  if (!exists(cached)) return false;
  fs.mkdirSync(tfn.moduleDir, {recursive: true});
  rmrf(tfn.bindingPath);
  fs.copyFileSync(cached, tfn.bindingPath);
  log(`using cached binding ${cached}`);
  return true;
}

function saveBindingToCache(tfn, cacheDir) {
  const dir = path.join(cacheDir, 'bindings', bindingCacheKey(tfn));
  fs.mkdirSync(dir, {recursive: true});
  const tmp = path.join(dir, `.${tfn.moduleName}.node.${process.pid}`);
  fs.copyFileSync(tfn.bindingPath, tmp);
  fs.renameSync(tmp, path.join(dir, `${tfn.moduleName}.node`));
}

/** Every TF_/TFE_ symbol the addon imports must be defined by the two libraries. */
function checkSymbols(tfn) {
  if (!which('nm')) {
    log('nm not found; skipping the symbol check');
    return;
  }
  const syms = (file, flag) => {
    const res = run('nm', ['-D', flag, file]);
    if (res.status !== 0) fail(`nm ${flag} ${file} failed: ${res.stderr}`);
    const out = new Set();
    for (const line of res.stdout.split('\n')) {
      const name = line.trim().split(/\s+/).pop()?.replace(/@.*$/, '');
      if (name && /^TFE?_/.test(name)) out.add(name);
    }
    return out;
  };
  const needed = syms(tfn.bindingPath, '--undefined-only');
  const defined = new Set([
    ...syms(path.join(tfn.depsLib, 'libtensorflow_cc.so.2'), '--defined-only'),
    ...syms(path.join(tfn.depsLib, 'libtensorflow_framework.so.2'), '--defined-only'),
  ]);
  const missing = [...needed].filter((s) => !defined.has(s));
  if (missing.length)
    fail(
      `the binding imports TF symbols not exported by the wheel's libraries: ${missing.join(', ')}`,
    );
  log(
    `symbol check: all ${needed.size} TF_/TFE_ symbols imported by the binding are exported by libtensorflow_cc/_framework`,
  );
}

// ---------------------------------------------------------------------------
// 5. verify in a child process (fresh module state, same resolution as users)
// ---------------------------------------------------------------------------
const VERIFY_JS = `
const tf = require('@tensorflow/tfjs-node');
const a = tf.tensor2d([[1, 2], [3, 4]]);
const b = tf.tensor2d([[5, 6], [7, 8]]);
const c = tf.matMul(a, b);
const out = {
  backend: tf.getBackend(),
  matMul: Array.from(c.dataSync()),
  tfVersion: tf.backend().binding.TF_Version,
  tfjsNodeVersion: tf.version['tfjs-node'],
  resolved: require.resolve('@tensorflow/tfjs-node'),
};
tf.dispose([a, b, c]);
process.stdout.write('\\n__PROVISION_RESULT__' + JSON.stringify(out) + '\\n');
`;

function verify(repoRoot, tfn, expectTfVersion) {
  // Not run(): a crash while loading (signal) should still show the output.
  const res = spawnSync(process.execPath, ['-e', VERIFY_JS], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: {TF_CPP_MIN_LOG_LEVEL: '2', ...process.env},
  });
  if (res.error) fail(`could not run ${process.execPath}: ${res.error.message}`);
  const line = (res.stdout || '').split('\n').find((l) => l.startsWith('__PROVISION_RESULT__'));
  if (res.status !== 0 || !line) {
    const how = res.signal ? `killed by ${res.signal}` : `exit ${res.status}`;
    const tail = `${res.stdout}\n${res.stderr}`.trim().split('\n').slice(-30).join('\n');
    fail(`loading @tensorflow/tfjs-node failed (${how}):\n${tail}`);
  }
  const r = JSON.parse(line.slice('__PROVISION_RESULT__'.length));
  const problems = [];
  if (r.backend !== 'tensorflow') problems.push(`backend is ${r.backend}, want tensorflow`);
  if (JSON.stringify(r.matMul) !== JSON.stringify([19, 22, 43, 50]))
    problems.push(`matMul gave ${r.matMul}, want 19,22,43,50`);
  if (expectTfVersion && r.tfVersion !== expectTfVersion)
    problems.push(`TF_Version is ${r.tfVersion}, want ${expectTfVersion}`);
  if (path.dirname(r.resolved) !== path.join(tfn.dir, 'dist'))
    problems.push(`require resolved ${r.resolved}, expected it under ${tfn.dir}`);
  if (problems.length) fail(`verification failed: ${problems.join('; ')}`);
  return r;
}

// ---------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------
async function main() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    fail(
      `only linux-x64 is supported (this is ${process.platform}-${process.arch}). ` +
        'With internet access, `npm rebuild @tensorflow/tfjs-node --ignore-scripts=false` installs the official prebuilt binding instead.',
    );
  }
  const repoRoot = findRepoRoot();
  const tfn = locateTfjsNode(repoRoot);
  const cacheDir = cacheRoot();

  const problem = stampProblem(tfn);
  if (CHECK_ONLY) {
    if (problem) {
      log(`not provisioned: ${problem}`);
      process.exit(3);
    }
    log(`provisioned: ${path.relative(repoRoot, tfn.bindingPath)} (TF ${TF_WHEEL.version})`);
    return;
  }

  if (!FORCE && !problem) {
    if (NO_VERIFY) {
      log(`already provisioned (stamp matches; verification skipped): ${tfn.bindingPath}`);
      return;
    }
    const r = verify(repoRoot, tfn, TF_WHEEL.version);
    log(
      `already provisioned: backend=${r.backend} TF ${r.tfVersion} tfjs-node ${r.tfjsNodeVersion} (${tfn.bindingPath})`,
    );
    return;
  }

  // Respect a binding installed by other means (e.g. a normal `npm install` with
  // internet access): if there is no stamp of ours but tfjs-node already works,
  // leave it alone unless --force.
  if (
    !FORCE &&
    problem === 'no stamp' &&
    exists(tfn.bindingPath) &&
    !exists(path.join(tfn.depsLib, 'libtensorflow_cc.so.2')) // our layout => ours, interrupted before the stamp
  ) {
    let r = null;
    try {
      r = verify(repoRoot, tfn, null);
    } catch {}
    if (r) {
      log(
        `tfjs-node already has a working binding not installed by this script (TF ${r.tfVersion}); leaving it alone (use --force to replace it)`,
      );
      return;
    }
  }

  log(
    `provisioning @tensorflow/tfjs-node ${tfn.version} in ${tfn.dir} (${FORCE ? '--force' : problem})`,
  );
  log(`cache: ${cacheDir}`);
  fs.mkdirSync(cacheDir, {recursive: true});
  await withLock(cacheDir, async () => {
    // Another run may have finished while we waited for the lock.
    if (!FORCE && !stampProblem(tfn)) {
      log('provisioned by a concurrent run');
      return;
    }
    // Download/extract first: a failure there leaves an existing install untouched.
    const extracted = ensureExtracted(cacheDir, FORCE);
    rmrf(path.join(tfn.depsDir, STAMP_NAME));
    placeDeps(tfn, extracted);
    const fromCache = !FORCE && restoreCachedBinding(tfn, cacheDir);
    if (!fromCache) {
      buildBinding(tfn, repoRoot, cacheDir);
      checkSymbols(tfn);
    }
    const r = verify(repoRoot, tfn, TF_WHEEL.version);
    if (!fromCache) saveBindingToCache(tfn, cacheDir);
    log(`verified: backend=${r.backend} matMul=[${r.matMul}] TF_Version=${r.tfVersion}`);
    const stamp = {
      ...expectedStamp(tfn),
      nodeVersion: process.version,
      wheel: TF_WHEEL.filename,
      provisionedAt: new Date().toISOString(),
    };
    fs.writeFileSync(path.join(tfn.depsDir, STAMP_NAME), `${JSON.stringify(stamp, null, 2)}\n`);
  });
  log(`done in ${elapsed()}`);
}

main().catch((e) => {
  if (e instanceof ProvisionError) {
    process.stderr.write(`provision-tfjs-node: ERROR: ${e.message}\n`);
  } else {
    process.stderr.write(`provision-tfjs-node: unexpected error: ${e?.stack || e}\n`);
  }
  process.exit(1);
});
