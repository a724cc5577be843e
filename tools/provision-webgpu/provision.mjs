#!/usr/bin/env node
// Provision a WebGPU adapter with `shader-f16` for Node, with no GPU and without installing
// anything system-wide: Dawn (the `webgpu` npm package, a devDependency) on Mesa 25's lavapipe,
// a CPU Vulkan driver.
//
// Debian 12's own Mesa (22.3) has no shaderFloat16 in lavapipe, and SwiftShader has no f16 at all,
// so this script:
//   1. runs apt-get against a PRIVATE config (sources, lists and archives under the cache dir; the
//      system's /etc/apt is read for nothing but the archive keyring) that lists bookworm and
//      bookworm-backports,
//   2. downloads mesa-vulkan-drivers (pinned below, sha256-checked), libvulkan1 and any of their
//      dependencies the system lacks, with `apt-get download` (apt checks the signed index too),
//   3. unpacks them with `dpkg -x` (never installs) into <cache>/webgpu/<mesa version>/root,
//   4. writes an ICD json whose library_path is the unpacked lavapipe's absolute path,
//   5. checks with ldd that lavapipe and the Vulkan loader resolve,
//   6. writes env.json (VK_ICD_FILENAMES, LD_LIBRARY_PATH, the loader's path) and a stamp, so a
//      second run only re-checks,
//   7. requests an adapter through Dawn in a child process and prints its features; fails
//      unless `shader-f16` is among them.
//
// Usage: node tools/provision-webgpu/provision.mjs [--force] [--print-env] [--no-verify]
//   --print-env   print `export VAR=...` lines for `eval` (provisions first if needed)
// Environment: TFJS_AMP_CACHE_DIR (default ${XDG_CACHE_HOME:-~/.cache}/tfjs-amp).
// See README.md next to this file.

import {spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

/** The lavapipe build that has shaderFloat16 (bookworm-backports, checked 2026-12-01). */
const MESA = Object.freeze({
  package: 'mesa-vulkan-drivers',
  version: '25.0.7-2~bpo12+1',
  sha256: '3899f1800424c60a05df5d6913076a526ca8fdbabec43672cd397563d1ca3263',
});
const DEBIAN_MIRROR = 'http://deb.debian.org/debian';
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const LIB_DIR = 'usr/lib/x86_64-linux-gnu';
const STAMP_VERSION = 1;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = new Set(process.argv.slice(2));
const known = new Set(['--force', '--print-env', '--no-verify', '--help']);
for (const a of args) {
  if (!known.has(a)) fail(`unknown option '${a}'. Allowed: ${[...known].join(', ')}.`);
}
if (args.has('--help')) {
  console.log(
    'usage: node tools/provision-webgpu/provision.mjs [--force] [--print-env] [--no-verify]',
  );
  process.exit(0);
}
const printEnv = args.has('--print-env');
/** Progress goes to stderr when stdout is for `eval`. */
const log = (msg) => (printEnv ? console.error : console.log)(`[provision-webgpu] ${msg}`);

function fail(msg) {
  console.error(`[provision-webgpu] ERROR: ${msg}`);
  process.exit(1);
}

function cacheRoot() {
  if (process.env.TFJS_AMP_CACHE_DIR) return path.resolve(process.env.TFJS_AMP_CACHE_DIR);
  const xdg = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(xdg, 'tfjs-amp');
}

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, {encoding: 'utf8', ...opts});
  if (r.error) fail(`${cmd} could not start: ${r.error.message}`);
  if (r.status !== 0) {
    fail(`${cmd} ${argv.join(' ')} exited ${r.status}:\n${(r.stderr || r.stdout).slice(-2000)}`);
  }
  return r.stdout;
}

function sha256(file) {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** apt-get/apt-cache options that keep every file apt touches under `aptDir`. */
function aptOptions(aptDir) {
  return [
    `Dir::Etc::SourceList=${path.join(aptDir, 'sources.list')}`,
    `Dir::Etc::SourceParts=${path.join(aptDir, 'sources.list.d')}`,
    `Dir::Etc::Preferences=${path.join(aptDir, 'preferences')}`,
    `Dir::Etc::PreferencesParts=${path.join(aptDir, 'preferences.d')}`,
    `Dir::State=${path.join(aptDir, 'state')}`,
    `Dir::Cache=${path.join(aptDir, 'cache')}`,
    'Dir::State::status=/var/lib/dpkg/status',
    'APT::Sandbox::User=root',
    'Debug::NoLocking=1',
  ].flatMap((o) => ['-o', o]);
}

function prepareApt(aptDir) {
  for (const d of [
    'sources.list.d',
    'preferences.d',
    'state/lists/partial',
    'cache/archives/partial',
  ])
    fs.mkdirSync(path.join(aptDir, d), {recursive: true});
  fs.writeFileSync(path.join(aptDir, 'preferences'), '');
  fs.writeFileSync(
    path.join(aptDir, 'sources.list'),
    ['bookworm', 'bookworm-backports']
      .map((suite) => `deb [signed-by=${KEYRING}] ${DEBIAN_MIRROR} ${suite} main\n`)
      .join(''),
  );
  if (!fs.existsSync(KEYRING)) fail(`${KEYRING} is missing (package debian-archive-keyring).`);
  log('apt-get update (private lists: bookworm, bookworm-backports)');
  run('apt-get', [...aptOptions(aptDir), '-qq', 'update']);
}

/** Package names of a `Depends:` line, alternatives reduced to their first choice. */
function dependsOf(aptDir, spec) {
  const show = run('apt-cache', [...aptOptions(aptDir), 'show', spec]);
  const line = show.split('\n').find((l) => l.startsWith('Depends:')) ?? 'Depends:';
  return line
    .slice('Depends:'.length)
    .split(',')
    .map(
      (d) =>
        d
          .split('|')[0]
          .trim()
          .split(/[\s(:]/)[0],
    )
    .filter(Boolean);
}

function isInstalled(pkg) {
  // dpkg-query's own ${Status} field syntax, not a JS template.
  const format = `-f=$\{Status}`;
  const r = spawnSync('dpkg-query', ['-W', format, pkg], {encoding: 'utf8'});
  return r.status === 0 && r.stdout.includes('install ok installed');
}

/** The pinned Mesa if the index still has it, else backports' current one (with a notice). */
function mesaSpec(aptDir) {
  const pinned = `${MESA.package}=${MESA.version}`;
  const r = spawnSync('apt-cache', [...aptOptions(aptDir), 'show', pinned], {encoding: 'utf8'});
  if (r.status === 0 && r.stdout.includes(`Version: ${MESA.version}`))
    return {spec: pinned, pinned: true};
  const current = `${MESA.package}/bookworm-backports`;
  log(
    `NOTICE: ${pinned} is gone from bookworm-backports; using ${current} (not sha256-pinned; apt checks its signed index). Bump MESA in provision.mjs.`,
  );
  return {spec: current, pinned: false};
}

function provision(dir) {
  const aptDir = path.join(cacheRoot(), 'webgpu', 'apt');
  prepareApt(aptDir);
  const mesa = mesaSpec(aptDir);
  const debDir = path.join(dir, 'debs');
  fs.rmSync(debDir, {recursive: true, force: true});
  fs.mkdirSync(debDir, {recursive: true});
  const missing = dependsOf(aptDir, mesa.spec).filter((p) => p !== 'libvulkan1' && !isInstalled(p));
  const wanted = [mesa.spec, 'libvulkan1', ...missing];
  log(`apt-get download ${wanted.join(' ')}`);
  run('apt-get', [...aptOptions(aptDir), '-qq', 'download', ...wanted], {cwd: debDir});
  const debs = fs.readdirSync(debDir).filter((f) => f.endsWith('.deb'));
  const mesaDeb = debs.find((f) => f.startsWith(`${MESA.package}_`));
  if (mesaDeb == null) fail(`apt-get download produced no ${MESA.package} .deb in ${debDir}.`);
  if (mesa.pinned && sha256(path.join(debDir, mesaDeb)) !== MESA.sha256)
    fail(`${mesaDeb}: sha256 differs from the pinned ${MESA.sha256}. Delete ${debDir} and retry.`);
  const root = path.join(dir, 'root');
  fs.rmSync(root, {recursive: true, force: true});
  for (const deb of debs) {
    log(`dpkg -x ${deb}`);
    run('dpkg', ['-x', path.join(debDir, deb), root]);
  }
  return {root, version: mesaDeb.split('_')[1]};
}

/** Writes the ICD json with an absolute library path and env.json; checks the libraries resolve. */
function finish(dir, root, version) {
  const libDir = path.join(root, LIB_DIR);
  const lvp = path.join(libDir, 'libvulkan_lvp.so');
  const loader = path.join(libDir, 'libvulkan.so.1');
  for (const f of [lvp, loader]) if (!fs.existsSync(f)) fail(`${f} is missing after unpacking.`);
  const icdSrc = path.join(root, 'usr/share/vulkan/icd.d/lvp_icd.json');
  const icd = JSON.parse(fs.readFileSync(icdSrc, 'utf8'));
  icd.ICD.library_path = lvp;
  const icdPath = path.join(dir, 'lvp_icd.json');
  fs.writeFileSync(icdPath, `${JSON.stringify(icd, null, 2)}\n`);
  const env = {...process.env, LD_LIBRARY_PATH: libDir};
  for (const f of [lvp, loader]) {
    const out = run('ldd', [f], {env});
    const unresolved = out.split('\n').filter((l) => l.includes('not found'));
    if (unresolved.length > 0)
      fail(
        `${path.basename(f)} needs libraries this system lacks:\n${unresolved.join('\n')}\n` +
          'Install them (apt-get install <package>) or add their packages to provision.mjs.',
      );
  }
  const envJson = {
    mesaVersion: version,
    VK_ICD_FILENAMES: icdPath,
    LD_LIBRARY_PATH: libDir,
    vulkanLoader: loader,
  };
  fs.writeFileSync(path.join(dir, 'env.json'), `${JSON.stringify(envJson, null, 2)}\n`);
  // The stable pointer the test suites read (current provisioned version).
  fs.writeFileSync(
    path.join(cacheRoot(), 'webgpu', 'env.json'),
    `${JSON.stringify(envJson, null, 2)}\n`,
  );
  return envJson;
}

/** Requests an adapter through Dawn in a child process; returns its features and description. */
function verify(envJson) {
  const script = `
    import {create, globals} from 'webgpu';
    Object.assign(globalThis, globals);
    const adapter = await create([]).requestAdapter();
    if (adapter == null) { console.log(JSON.stringify(null)); process.exit(0); }
    const i = adapter.info ?? {};
    console.log(JSON.stringify({features: [...adapter.features].sort(), description: i.description || i.device, vendor: i.vendor}));
  `;
  const env = {
    ...process.env,
    VK_ICD_FILENAMES: envJson.VK_ICD_FILENAMES,
    LD_LIBRARY_PATH: [envJson.LD_LIBRARY_PATH, process.env.LD_LIBRARY_PATH]
      .filter(Boolean)
      .join(':'),
  };
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: repoRoot,
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0)
    fail(`Dawn probe failed (is the 'webgpu' package in node_modules?):\n${r.stderr}`);
  const info = JSON.parse(r.stdout.trim().split('\n').pop());
  if (info == null)
    fail(`Dawn found no adapter with VK_ICD_FILENAMES=${envJson.VK_ICD_FILENAMES}:\n${r.stderr}`);
  log(`adapter: ${info.vendor} ${info.description}`);
  log(`features: ${info.features.join(' ')}`);
  if (!info.features.includes('shader-f16'))
    fail(
      'the adapter has no shader-f16; lavapipe from Mesa 25 has it (is the ICD the unpacked one?).',
    );
  return info;
}

function main() {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    fail(`only linux-x64 is supported (Debian .debs); got ${process.platform}-${process.arch}.`);
  const base = path.join(cacheRoot(), 'webgpu');
  const dir = path.join(base, MESA.version.replace(/[^A-Za-z0-9.+-]/g, '_'));
  const stamp = path.join(dir, 'stamp.json');
  let envJson;
  const stamped =
    fs.existsSync(stamp) && JSON.parse(fs.readFileSync(stamp, 'utf8')).version === STAMP_VERSION;
  if (stamped && !args.has('--force') && fs.existsSync(path.join(dir, 'env.json'))) {
    log(`cached: ${dir}`);
    envJson = JSON.parse(fs.readFileSync(path.join(dir, 'env.json'), 'utf8'));
    fs.mkdirSync(base, {recursive: true});
    fs.writeFileSync(path.join(base, 'env.json'), `${JSON.stringify(envJson, null, 2)}\n`);
  } else {
    fs.mkdirSync(dir, {recursive: true});
    const {root, version} = provision(dir);
    envJson = finish(dir, root, version);
    fs.writeFileSync(stamp, `${JSON.stringify({version: STAMP_VERSION, mesa: version})}\n`);
  }
  if (!args.has('--no-verify')) verify(envJson);
  if (printEnv) {
    console.log(`export VK_ICD_FILENAMES='${envJson.VK_ICD_FILENAMES}'`);
    console.log(
      `export LD_LIBRARY_PATH='${envJson.LD_LIBRARY_PATH}'\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}`,
    );
  } else {
    log(
      `ready: VK_ICD_FILENAMES=${envJson.VK_ICD_FILENAMES} LD_LIBRARY_PATH=${envJson.LD_LIBRARY_PATH}`,
    );
    log(
      'the test suites read both from env.json; for other programs: eval "$(npm run -s provision:webgpu -- --print-env)"',
    );
  }
}

main();
