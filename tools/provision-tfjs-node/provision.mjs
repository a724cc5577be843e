#!/usr/bin/env node
// @ts-check
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
// With --gpu it does the same for @tensorflow/tfjs-node-gpu from the CUDA build of TF (the
// `tensorflow` wheel), optionally (--cuda-libs, or automatically when an NVIDIA driver is present)
// lays out the CUDA 12 runtime from the nvidia-*-cu12 wheels under <tfjs-node-gpu>/deps/nvidia,
// where TF's RUNPATH finds it, and reports what TF sees (gpu-report.c): TF version, which CUDA
// libraries load, the driver, the GPUs visible.
//
// Usage: node tools/provision-tfjs-node/provision.mjs [--gpu [--cuda-libs|--no-cuda-libs]] [--force] [--check] [--no-verify] [--verbose]
// See README.md next to this file.

import {spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import fs from 'node:fs';
import {createRequire} from 'node:module';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

// ---------------------------------------------------------------------------
// Pinned TensorFlow wheels. libtensorflow_cc.so.2 in these wheels exports the TF
// C API and eager C API (TF_*, TFE_*) used by the tfjs-node binding, and
// libtensorflow_framework.so.2 the TF_Tensor/TF_Status/TF_Buffer parts.
// The library does not link libpython, so the wheel's python tag is irrelevant;
// we pin one so the download does not depend on the local python.
// To bump: change version/filename/sha256/size (see README "Bumping TF").
// ---------------------------------------------------------------------------
const TF_CPU_WHEEL = Object.freeze({
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
// `--gpu`: the CUDA-enabled build of the same version (PyPI's `tensorflow` on Linux). Its
// libraries dlopen the CUDA runtime at start-up (no DT_NEEDED on CUDA) and search it along
// their RUNPATH, which includes $ORIGIN/../nvidia/<name>/lib: the pip layout of the
// nvidia-*-cu12 wheels, reproduced below as <tfjs-node-gpu>/deps/nvidia/<name>/lib.
const TF_GPU_WHEEL = Object.freeze({
  project: 'tensorflow',
  version: '2.21.0',
  implementation: 'cp',
  pythonVersion: '3.11',
  abi: 'cp311',
  platform: 'manylinux_2_27_x86_64',
  filename: 'tensorflow-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl',
  sha256: '9056fbc9ba04235810b71ae6cbd958a196e8804fb53bbcffbf3e23b56155f124',
  size: 572440367,
});

// The CUDA 12 runtime that `tensorflow[and-cuda]==2.21.0` pulls in (its Requires-Dist with
// extra == "and-cuda"), pinned to the newest 12.x of each as pip resolved them on 2026-12-01.
// Only `nvidia/**` minus headers is extracted. Installed with `--gpu --cuda-libs`, or with `--gpu`
// alone when an NVIDIA driver is present (see cudaLibsWanted()).
const CUDA_WHEELS = Object.freeze([
  {
    project: 'nvidia-cublas-cu12',
    version: '12.9.3.13',
    filename: 'nvidia_cublas_cu12-12.9.3.13-py3-none-manylinux_2_27_x86_64.whl',
    sha256: 'd7d51055f161b317c7105ddaae90e71eda059026074ffef93cf7cde2886bfe72',
    size: 581217458,
  },
  {
    project: 'nvidia-cuda-cupti-cu12',
    version: '12.9.79',
    filename: 'nvidia_cuda_cupti_cu12-12.9.79-py3-none-manylinux_2_25_x86_64.whl',
    sha256: '096bcf334f13e1984ba36685ad4c1d6347db214de03dbb6eebb237b41d9d934f',
    size: 10814997,
  },
  {
    project: 'nvidia-cuda-nvcc-cu12',
    version: '12.9.86',
    filename:
      'nvidia_cuda_nvcc_cu12-12.9.86-py3-none-manylinux2010_x86_64.manylinux_2_12_x86_64.whl',
    sha256: '5d6a0d32fdc7ea39917c20065614ae93add6f577d840233237ff08e9a38f58f0',
    size: 40546229,
  },
  {
    project: 'nvidia-cuda-nvrtc-cu12',
    version: '12.9.86',
    filename:
      'nvidia_cuda_nvrtc_cu12-12.9.86-py3-none-manylinux2010_x86_64.manylinux_2_12_x86_64.whl',
    sha256: '210cf05005a447e29214e9ce50851e83fc5f4358df8b453155d5e1918094dcb4',
    size: 89568129,
  },
  {
    project: 'nvidia-cuda-runtime-cu12',
    version: '12.9.79',
    filename:
      'nvidia_cuda_runtime_cu12-12.9.79-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl',
    sha256: '25bba2dfb01d48a9b59ca474a1ac43c6ebf7011f1b0b8cc44f54eb6ac48a96c3',
    size: 3493179,
  },
  {
    project: 'nvidia-cudnn-cu12',
    version: '9.28.0.42',
    filename: 'nvidia_cudnn_cu12-9.28.0.42-py3-none-manylinux_2_27_x86_64.whl',
    sha256: '9ff58b7f36dacd0a93e89f8f2957b52466889217963701daa15e577317cfa375',
    size: 716538495,
  },
  {
    project: 'nvidia-cufft-cu12',
    version: '11.4.1.4',
    filename: 'nvidia_cufft_cu12-11.4.1.4-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl',
    sha256: 'c67884f2a7d276b4b80eb56a79322a95df592ae5e765cf1243693365ccab4e28',
    size: 200877592,
  },
  {
    project: 'nvidia-curand-cu12',
    version: '10.3.10.19',
    filename: 'nvidia_curand_cu12-10.3.10.19-py3-none-manylinux_2_27_x86_64.whl',
    sha256: '49b274db4780d421bd2ccd362e1415c13887c53c214f0d4b761752b8f9f6aa1e',
    size: 68295626,
  },
  {
    project: 'nvidia-cusolver-cu12',
    version: '11.7.5.82',
    filename: 'nvidia_cusolver_cu12-11.7.5.82-py3-none-manylinux_2_27_x86_64.whl',
    sha256: '15da72d1340d29b5b3cf3fd100e3cd53421dde36002eda6ed93811af63c40d88',
    size: 338117415,
  },
  {
    project: 'nvidia-cusparse-cu12',
    version: '12.5.10.65',
    filename:
      'nvidia_cusparse_cu12-12.5.10.65-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl',
    sha256: '73060ce019ac064a057267c585bf1fd5a353734151f87472ff02b2c5c9984e78',
    size: 366465088,
  },
  {
    project: 'nvidia-nccl-cu12',
    version: '2.32.3',
    filename: 'nvidia_nccl_cu12-2.32.3-py3-none-manylinux_2_27_x86_64.whl',
    sha256: 'bb94b2348e4861d5e8aa00b36c3d12d9bdf9c6369b82cbb723de0b582280a21c',
    size: 351526311,
  },
  {
    project: 'nvidia-nvjitlink-cu12',
    version: '12.9.86',
    filename:
      'nvidia_nvjitlink_cu12-12.9.86-py3-none-manylinux2010_x86_64.manylinux_2_12_x86_64.whl',
    sha256: 'e3f1171dbdc83c5932a45f0f4c99180a70de9bd2718c1ab77d14104f6d7147f9',
    size: 39748338,
  },
]);
// Platform tags the CUDA wheels above carry (pip matches each tag exactly).
const CUDA_WHEEL_PLATFORMS = Object.freeze([
  'manylinux_2_27_x86_64',
  'manylinux_2_25_x86_64',
  'manylinux_2_17_x86_64',
  'manylinux2014_x86_64',
  'manylinux_2_12_x86_64',
  'manylinux2010_x86_64',
]);
// What TF dlopens when it starts a GPU (tsl's DsoLoader: all 7 must load or TF skips the GPU),
// in TF's order, as paths under deps/nvidia. TF finds them along its RUNPATH.
const CUDA_LIBS_REQUIRED = Object.freeze([
  'cuda_runtime/lib/libcudart.so.12',
  'cublas/lib/libcublas.so.12',
  'cublas/lib/libcublasLt.so.12',
  'cufft/lib/libcufft.so.11',
  'cusolver/lib/libcusolver.so.11',
  'cusparse/lib/libcusparse.so.12',
  'cudnn/lib/libcudnn.so.9',
]);
// What those load later (cuDNN's sub-libraries), need through their own RUNPATH (nvJitLink,
// nvrtc) or TF loads on demand (cuRAND, CUPTI, NCCL). Checked after the 7 above, so that a
// dependency the 7 cannot find through their RUNPATH shows up as their load error. One that
// links libcuda.so.1 itself (cuDNN's runtime-compiled engines) cannot load without the driver.
const CUDA_LIBS_LATER = Object.freeze([
  'nvjitlink/lib/libnvJitLink.so.12',
  'cudnn/lib/libcudnn_graph.so.9',
  'cudnn/lib/libcudnn_ops.so.9',
  'cudnn/lib/libcudnn_cnn.so.9',
  'cudnn/lib/libcudnn_adv.so.9',
  'cudnn/lib/libcudnn_heuristic.so.9',
  'cudnn/lib/libcudnn_engines_precompiled.so.9',
  'cudnn/lib/libcudnn_engines_runtime_compiled.so.9',
  'cuda_nvrtc/lib/libnvrtc.so.12',
  'curand/lib/libcurand.so.10',
  'cuda_cupti/lib/libcupti.so.12',
  'nccl/lib/libnccl.so.2',
]);

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
/** Stops provisioning with a message for the user. @type {(msg: string) => never} */
const fail = (msg) => {
  throw new ProvisionError(msg);
};

const args = new Set(process.argv.slice(2));
const GPU = args.has('--gpu');
/** The TensorFlow wheel this run installs: the CPU build, or with --gpu the CUDA build. */
const TF_WHEEL = GPU ? TF_GPU_WHEEL : TF_CPU_WHEEL;
/** The tfjs package whose binding this run builds. */
const TFJS_PACKAGE = GPU ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
const cudaMiB = CUDA_WHEELS.reduce((n, w) => n + w.size, 0) / 2 ** 20;
const HELP = `Usage: provision-tfjs-node [--gpu [--cuda-libs | --no-cuda-libs]] [--force] [--check] [--no-verify] [--verbose]

Builds @tensorflow/tfjs-node's native binding offline from the ${TF_CPU_WHEEL.project}==${TF_CPU_WHEEL.version} PyPI wheel,
or with --gpu @tensorflow/tfjs-node-gpu's from the CUDA-enabled ${TF_GPU_WHEEL.project}==${TF_GPU_WHEEL.version} wheel.

  --gpu           provision @tensorflow/tfjs-node-gpu (CUDA build of TF; runs on the CPU where no GPU is visible)
  --cuda-libs     with --gpu: also install the CUDA 12 runtime from the nvidia-*-cu12 wheels
                  (${CUDA_WHEELS.length} wheels, ${(cudaMiB / 1024).toFixed(1)} GiB download) into <tfjs-node-gpu>/deps/nvidia
  --no-cuda-libs  with --gpu: do not install them (default: install them only when an NVIDIA driver is present)
  --force         re-extract the libraries and recompile the binding even if the stamp matches
                  (the downloaded wheels in the cache are reused; the cached binding is replaced)
  --check         only report whether the binding is provisioned (exit 0) or not (exit 3); changes nothing
  --no-verify     on the fast path, trust the stamp and skip loading tfjs-node in a child process
  --verbose       stream node-gyp output

Environment:
  TFJS_AMP_CACHE_DIR   cache directory (default: \${XDG_CACHE_HOME:-~/.cache}/tfjs-amp)
  TFJS_AMP_PYTHON      python interpreter used for pip (default: python3)
  TFJS_AMP_PROJECT_DIR project whose node_modules holds tfjs-node(-gpu) (default: the workspace root above this script)
  npm_config_nodedir   Node installation prefix holding include/node (default: derived from process.execPath)
  npm_config_node_gyp  node-gyp.js to use (default: the one bundled with npm)
`;
const KNOWN_ARGS = [
  '--gpu',
  '--cuda-libs',
  '--no-cuda-libs',
  '--force',
  '--check',
  '--no-verify',
  '--verbose',
  '--help',
  '-h',
];
for (const a of args) {
  if (!KNOWN_ARGS.includes(a)) {
    process.stderr.write(`provision-tfjs-node: unknown argument ${a}\n\n${HELP}`);
    process.exit(2);
  }
}
if (args.has('--help') || args.has('-h')) {
  process.stdout.write(HELP);
  process.exit(0);
}
if (!GPU && (args.has('--cuda-libs') || args.has('--no-cuda-libs'))) {
  process.stderr.write(
    'provision-tfjs-node: --cuda-libs and --no-cuda-libs apply only with --gpu (tfjs-node-gpu); add --gpu\n',
  );
  process.exit(2);
}
if (args.has('--cuda-libs') && args.has('--no-cuda-libs')) {
  process.stderr.write(
    'provision-tfjs-node: pass either --cuda-libs or --no-cuda-libs, not both\n',
  );
  process.exit(2);
}
const FORCE = args.has('--force');
const CHECK_ONLY = args.has('--check');
const NO_VERIFY = args.has('--no-verify');
const VERBOSE = args.has('--verbose');

const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
const log = (msg) =>
  process.stdout.write(`[provision-tfjs-node${GPU ? ' --gpu' : ''} ${elapsed()}] ${msg}\n`);

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
  // A project that copied this script (no workspaces): the directory whose node_modules to use.
  if (process.env.TFJS_AMP_PROJECT_DIR) {
    const dir = path.resolve(process.env.TFJS_AMP_PROJECT_DIR);
    if (!exists(path.join(dir, 'package.json')))
      fail(`TFJS_AMP_PROJECT_DIR=${dir} has no package.json; set it to your project's root`);
    return dir;
  }
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
  /** @type {string} */
  let pkgJsonPath = '';
  try {
    pkgJsonPath = req.resolve(`${TFJS_PACKAGE}/package.json`);
  } catch {
    fail(
      `${TFJS_PACKAGE} is not installed (resolved from ${repoRoot}). Run \`npm install\` at the repo root first.`,
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

/** Names the pinned set of CUDA wheels (cache directory and stamp field `cudaLibs`). */
const CUDA_LIBS_KEY = `cuda12-${createHash('sha256')
  .update(CUDA_WHEELS.map((w) => w.sha256).join('\n'))
  .digest('hex')
  .slice(0, 16)}`;

/**
 * Why the install does not match what this run wants, or null when it does. `wantCuda`: the
 * CUDA libraries must be there too (an install that has them satisfies a run that does not ask).
 */
function stampProblem(tfn, wantCuda = false) {
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
  if (wantCuda) {
    if (stamp.cudaLibs !== CUDA_LIBS_KEY)
      return `CUDA libraries not installed (stamp cudaLibs is ${JSON.stringify(stamp.cudaLibs ?? null)}, want ${CUDA_LIBS_KEY})`;
    files.push(...CUDA_LIBS_REQUIRED.map((l) => path.join(tfn.depsDir, 'nvidia', l)));
  }
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

/** The cached path of `wheel` when present and intact (size and sha256), else null. */
function cachedWheel(wheelDir, wheel) {
  const wheelPath = path.join(wheelDir, wheel.filename);
  if (!exists(wheelPath)) return null;
  if (fs.statSync(wheelPath).size === wheel.size && sha256File(wheelPath) === wheel.sha256) {
    return wheelPath;
  }
  log(`cached wheel ${wheelPath} is corrupt; downloading again`);
  rmrf(wheelPath);
  return null;
}

/**
 * Paths of the pinned `wheels` in the cache, downloading the missing ones with one
 * `pip download --no-deps` (hash-checked by pip, then again here).
 */
function ensureWheels(cacheDir, wheels, platforms) {
  const wheelDir = path.join(cacheDir, 'wheels');
  fs.mkdirSync(wheelDir, {recursive: true});
  const missing = wheels.filter((w) => cachedWheel(wheelDir, w) == null);
  const have = wheels.length - missing.length;
  if (have > 0) log(`using ${have} cached wheel(s) in ${wheelDir}`);
  if (missing.length > 0) {
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
        missing.map((w) => `${w.project}==${w.version} --hash=sha256:${w.sha256}\n`).join(''),
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
        ...platforms.flatMap((p) => ['--platform', p]),
        '--no-cache-dir',
        '--disable-pip-version-check',
        '--dest',
        tmp,
        '-r',
        reqFile,
      ];
      const mib = missing.reduce((n, w) => n + w.size, 0) / 2 ** 20;
      log(
        `downloading ${missing.map((w) => w.filename).join(', ')} (${mib.toFixed(0)} MiB) from PyPI: ${py} ${pipArgs.join(' ')}`,
      );
      const res = run(py, pipArgs, {stdio: ['ignore', 'inherit', 'inherit']});
      if (res.status !== 0) {
        fail(
          `pip download of ${missing.map((w) => `${w.project}==${w.version}`).join(' ')} failed (exit ${res.status}); is PyPI reachable?`,
        );
      }
      for (const w of missing) {
        const got = path.join(tmp, w.filename);
        if (!exists(got)) {
          fail(
            `pip did not produce ${w.filename} (got: ${fs.readdirSync(tmp).join(', ') || 'nothing'})`,
          );
        }
        const sum = sha256File(got);
        if (sum !== w.sha256)
          fail(`sha256 mismatch for ${w.filename}: got ${sum}, pinned ${w.sha256}`);
        fs.renameSync(got, path.join(wheelDir, w.filename));
      }
    } finally {
      rmrf(tmp);
    }
  }
  return wheels.map((w) => path.join(wheelDir, w.filename));
}

function ensureWheel(cacheDir) {
  return ensureWheels(cacheDir, [TF_WHEEL], [TF_WHEEL.platform])[0];
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
  const cands = /** @type {string[]} */ (
    [process.env.npm_config_nodedir, path.resolve(path.dirname(process.execPath), '..')].filter(
      Boolean,
    )
  );
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
  return `${path.basename(TFJS_PACKAGE)}-${tfn.version}-napi${tfn.napi}-${h.digest('hex').slice(0, 16)}`;
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
// --gpu: CUDA 12 runtime from the nvidia-*-cu12 wheels, and what TF sees
// ---------------------------------------------------------------------------
/** An NVIDIA kernel driver is loaded (or its user-space tool is installed). */
function nvidiaDriverPresent() {
  return exists('/proc/driver/nvidia/version') || which('nvidia-smi') != null;
}

/** Whether this run installs the CUDA libraries: --cuda-libs, --no-cuda-libs, else only with a driver. */
function cudaLibsWanted() {
  if (!GPU || args.has('--no-cuda-libs')) return false;
  return args.has('--cuda-libs') || nvidiaDriverPresent();
}

/**
 * The CUDA wheels' `nvidia/<name>/{lib,bin,...}` trees (headers left out), extracted once into
 * <cache>/cuda/<CUDA_LIBS_KEY>/nvidia. Returns that `nvidia` directory.
 */
function ensureCudaExtracted(cacheDir, force) {
  const root = path.join(cacheDir, 'cuda');
  const dest = path.join(root, CUDA_LIBS_KEY);
  const marker = path.join(dest, '.complete.json');
  const nvidia = path.join(dest, 'nvidia');
  const ok = () =>
    tryReadJson(marker)?.key === CUDA_LIBS_KEY &&
    [...CUDA_LIBS_REQUIRED, ...CUDA_LIBS_LATER].every((l) => exists(path.join(nvidia, l)));
  if (!force && ok()) {
    log(`using cached CUDA libraries ${nvidia}`);
    return nvidia;
  }
  const wheels = ensureWheels(cacheDir, CUDA_WHEELS, CUDA_WHEEL_PLATFORMS);
  fs.mkdirSync(root, {recursive: true});
  const tmp = fs.mkdtempSync(path.join(root, '.extract-'));
  try {
    const stage = path.join(tmp, 'stage');
    fs.mkdirSync(stage);
    log(`extracting ${wheels.length} CUDA wheels ...`);
    for (const whl of wheels) {
      if (which('unzip')) {
        const res = run('unzip', [
          '-q',
          '-o',
          whl,
          'nvidia/*',
          '-x',
          'nvidia/*/include/*',
          '-d',
          stage,
        ]);
        if (res.status !== 0) fail(`unzip ${whl} failed (exit ${res.status}): ${res.stderr}`);
      } else {
        const code = [
          'import sys, zipfile, fnmatch',
          'z = zipfile.ZipFile(sys.argv[1])',
          '[z.extract(n, sys.argv[2]) for n in z.namelist() if n.startswith("nvidia/") and not n.endswith("/") and not fnmatch.fnmatchcase(n, "nvidia/*/include/*")]',
        ].join('\n');
        const res = run(python(), ['-c', code, whl, stage]);
        if (res.status !== 0) fail(`python zipfile extraction of ${whl} failed: ${res.stderr}`);
      }
    }
    for (const l of [...CUDA_LIBS_REQUIRED, ...CUDA_LIBS_LATER]) {
      if (!exists(path.join(stage, 'nvidia', l)))
        fail(`nvidia/${l} is in none of the pinned CUDA wheels`);
    }
    fs.writeFileSync(
      path.join(stage, '.complete.json'),
      `${JSON.stringify({key: CUDA_LIBS_KEY, wheels: CUDA_WHEELS.map((w) => w.filename), extractedAt: new Date().toISOString()}, null, 2)}\n`,
    );
    rmrf(dest);
    fs.renameSync(stage, dest);
  } finally {
    rmrf(tmp);
  }
  log(`extracted the CUDA libraries into ${nvidia}`);
  return nvidia;
}

/** Mirrors `src` into `dst`: directories made, files hard-linked (copied if that fails), links kept. */
function linkTree(src, dst) {
  fs.mkdirSync(dst, {recursive: true});
  for (const entry of fs.readdirSync(src, {withFileTypes: true})) {
    const from = path.join(src, entry.name);
    const to = path.join(dst, entry.name);
    if (entry.isDirectory()) linkTree(from, to);
    else if (entry.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(from), to);
    else linkOrCopy(from, to);
  }
}

/**
 * <tfjs-node-gpu>/deps/nvidia/<name>/lib: where libtensorflow's RUNPATH entry
 * $ORIGIN/../nvidia/<name>/lib points from deps/lib, and the pip layout the wheels' own
 * RUNPATHs ($ORIGIN/../../<name>/lib) expect. No LD_LIBRARY_PATH needed.
 */
function placeCudaLibs(tfn, nvidia) {
  const dst = path.join(tfn.depsDir, 'nvidia');
  rmrf(dst);
  linkTree(nvidia, dst);
  log(`placed the CUDA libraries into ${dst}`);
}

/**
 * The directories libtensorflow searches when it dlopens a CUDA library: the DT_RUNPATHs of
 * libtensorflow_framework.so.2 and libtensorflow_cc.so.2 (which one calls dlopen depends on the
 * library), in that order, with $ORIGIN = deps/lib. Null when readelf is missing.
 */
function tfRunpath(tfn) {
  if (!which('readelf')) return null;
  const dirs = [];
  for (const lib of ['libtensorflow_framework.so.2', 'libtensorflow_cc.so.2']) {
    const res = run('readelf', ['-d', path.join(tfn.depsLib, lib)]);
    const m = /\((?:RUNPATH|RPATH)\)[^[]*\[([^\]]*)\]/.exec(res.stdout || '');
    if (res.status !== 0) return null;
    if (m)
      dirs.push(...m[1].split(':').map((d) => path.resolve(d.replace('$ORIGIN', tfn.depsLib))));
  }
  return [...new Set(dirs)];
}

/** gpu-report.c built against deps/include, cached per source and wheel. Returns its path. */
function buildGpuReport(tfn, cacheDir) {
  const source = path.join(SCRIPT_DIR, 'gpu-report.c');
  const key = createHash('sha256')
    .update(fs.readFileSync(source))
    .update(TF_WHEEL.sha256)
    .digest('hex')
    .slice(0, 16);
  const out = path.join(cacheDir, 'bindings', `gpu-report-${key}`, 'gpu-report');
  if (exists(out)) return out;
  const cc = which('gcc') ?? which('cc');
  const argv = [
    ...(cc ? [] : ['-x', 'c']),
    '-O1',
    '-o',
    `${out}.${process.pid}`,
    source,
    `-I${tfn.depsInclude}`,
    `-L${tfn.depsLib}`,
    '-l:libtensorflow_cc.so.2',
    '-l:libtensorflow_framework.so.2',
    '-ldl',
  ];
  fs.mkdirSync(path.dirname(out), {recursive: true});
  const res = run(cc ?? 'g++', argv);
  if (res.status !== 0) fail(`compiling ${source} failed (exit ${res.status}):\n${res.stderr}`);
  fs.renameSync(`${out}.${process.pid}`, out);
  return out;
}

/**
 * Runs gpu-report with the CUDA libraries TF would load (found along TF's RUNPATH, so a wrong
 * layout shows as "not found"), prints what it found and returns the parsed report. Fails when
 * this is not a CUDA build, or when installed CUDA libraries do not load.
 */
function gpuReport(tfn, cacheDir, cudaInstalled) {
  const exe = buildGpuReport(tfn, cacheDir);
  const dirs = tfRunpath(tfn);
  const libs = [...CUDA_LIBS_REQUIRED, ...CUDA_LIBS_LATER].map((l) => {
    const name = path.basename(l);
    const required = CUDA_LIBS_REQUIRED.includes(l);
    // The 7 TF loads itself: where TF's RUNPATH finds them. The rest: where the 7 expect them.
    const candidates =
      required && dirs
        ? dirs.map((d) => path.join(d, name))
        : [path.join(tfn.depsDir, 'nvidia', l)];
    return {lib: l, name, path: candidates.find((p) => exists(p)) ?? null, required};
  });
  const libtf = path.join(tfn.depsLib, 'libtensorflow_cc.so.2');
  const found = /** @type {string[]} */ (libs.map((l) => l.path).filter((p) => p != null));
  const res = spawnSync(exe, [libtf, ...found], {
    encoding: 'utf8',
    env: {...process.env, TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2'},
  });
  const line = (res.stdout || '').trim().split('\n').pop() ?? '';
  let report;
  try {
    report = JSON.parse(line);
  } catch {
    fail(
      `gpu-report failed (${res.signal ?? `exit ${res.status}`}):\n${res.stdout}\n${res.stderr}`,
    );
  }
  if (report.contextError) fail(`TF could not create an eager context: ${report.contextError}`);
  const loaded = new Map(report.cudaLibs.map((r) => [r.path, r]));
  const problems = [];
  let ok = 0;
  for (const l of libs) {
    const r = l.path ? loaded.get(l.path) : null;
    if (r?.loaded) ok++;
    else if (cudaInstalled) {
      const why = r
        ? r.error
        : l.required
          ? `not found in TF's RUNPATH (${(dirs ?? []).length} dirs)`
          : `not found at deps/nvidia/${l.lib}`;
      const needsDriver = !report.driver.loaded && /libcuda\.so\.1/.test(why);
      if (!needsDriver) problems.push(`${l.name}: ${why}`);
    }
  }
  const gpus = (report.devices ?? []).filter((d) => d.type === 'GPU');
  log(
    `TF ${report.tfVersion} (${report.gpuKernels ? 'CUDA build: GPU kernels registered' : 'NO GPU kernels: not a CUDA build'})`,
  );
  log(
    cudaInstalled
      ? `CUDA libraries: ${ok}/${libs.length} load from ${path.join(tfn.depsDir, 'nvidia')}${
          ok < libs.length
            ? ` (not loaded: ${libs
                .filter((l) => !loaded.get(l.path)?.loaded)
                .map((l) => l.name)
                .join(
                  ', ',
                )}${report.driver.loaded ? '' : '; a library that links libcuda.so.1 needs the driver'})`
            : ''
        }`
      : `CUDA libraries: not installed (${ok}/${libs.length} found elsewhere); pass --cuda-libs to install them (${(cudaMiB / 1024).toFixed(1)} GiB download)`,
  );
  log(
    report.driver.loaded
      ? `NVIDIA driver: libcuda.so.1 loads, CUDA ${Math.floor(report.driver.cudaVersion / 1000)}.${(report.driver.cudaVersion % 1000) / 10}`
      : `NVIDIA driver: none (${report.driver.error})`,
  );
  log(
    `GPUs visible to TF: ${gpus.length}${gpus.length ? ` (${gpus.map((g) => `${g.name.replace(/^.*device:/, '')} ${(g.memoryBytes / 2 ** 30).toFixed(1)} GiB`).join(', ')})` : ': ops run on the CPU'}`,
  );
  if (!report.gpuKernels)
    problems.push(`libtensorflow from ${TF_WHEEL.filename} registers no GPU MatMul kernel`);
  if (problems.length) fail(`CUDA check failed: ${problems.join('; ')}`);
  if (report.driver.loaded && cudaInstalled && gpus.length === 0) {
    log(
      'WARNING: the driver loads but TF lists no GPU: run with TF_CPP_MIN_LOG_LEVEL=0 to see why (driver older than CUDA 12.9 needs, or no device visible: CUDA_VISIBLE_DEVICES)',
    );
  }
  return {...report, gpus: gpus.length, cudaLibsLoaded: ok, cudaLibsChecked: libs.length};
}

// ---------------------------------------------------------------------------
// 5. verify in a child process (fresh module state, same resolution as users)
// ---------------------------------------------------------------------------
const VERIFY_JS = `
const pkg = process.argv[1];
const tf = require(pkg);
const a = tf.tensor2d([[1, 2], [3, 4]]);
const b = tf.tensor2d([[5, 6], [7, 8]]);
const c = tf.matMul(a, b);
const out = {
  backend: tf.getBackend(),
  matMul: Array.from(c.dataSync()),
  tfVersion: tf.backend().binding.TF_Version,
  tfjsNodeVersion: tf.version['tfjs-node'],
  gpu: tf.backend().binding.isUsingGpuDevice(),
  resolved: require.resolve(pkg),
};
tf.dispose([a, b, c]);
process.stdout.write('\\n__PROVISION_RESULT__' + JSON.stringify(out) + '\\n');
`;

function verify(repoRoot, tfn, expectTfVersion) {
  // Not run(): a crash while loading (signal) should still show the output.
  const res = spawnSync(process.execPath, ['-e', VERIFY_JS, TFJS_PACKAGE], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: {TF_CPP_MIN_LOG_LEVEL: '2', ...process.env},
  });
  if (res.error) fail(`could not run ${process.execPath}: ${res.error.message}`);
  const line = (res.stdout || '').split('\n').find((l) => l.startsWith('__PROVISION_RESULT__'));
  if (res.status !== 0 || !line) {
    const how = res.signal ? `killed by ${res.signal}` : `exit ${res.status}`;
    const tail = `${res.stdout}\n${res.stderr}`.trim().split('\n').slice(-30).join('\n');
    fail(`loading ${TFJS_PACKAGE} failed (${how}):\n${tail}`);
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
        `With internet access, \`npm rebuild ${TFJS_PACKAGE} --ignore-scripts=false\` installs the official prebuilt binding instead.`,
    );
  }
  const repoRoot = findRepoRoot();
  const tfn = locateTfjsNode(repoRoot);
  const cacheDir = cacheRoot();

  const wantCuda = cudaLibsWanted();
  const oldStamp = tryReadJson(path.join(tfn.depsDir, STAMP_NAME));
  // CUDA libraries an earlier run installed stay unless --no-cuda-libs.
  const installCuda =
    wantCuda || (GPU && !args.has('--no-cuda-libs') && oldStamp?.cudaLibs === CUDA_LIBS_KEY);
  const problem = stampProblem(tfn, wantCuda);
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
      `already provisioned: backend=${r.backend} TF ${r.tfVersion} ${path.basename(TFJS_PACKAGE)} ${r.tfjsNodeVersion}${GPU ? ` gpu=${r.gpu}` : ''} (${tfn.bindingPath})`,
    );
    if (GPU) gpuReport(tfn, cacheDir, oldStamp?.cudaLibs === CUDA_LIBS_KEY);
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

  log(`provisioning ${TFJS_PACKAGE} ${tfn.version} in ${tfn.dir} (${FORCE ? '--force' : problem})`);
  log(`cache: ${cacheDir}`);
  fs.mkdirSync(cacheDir, {recursive: true});
  await withLock(cacheDir, async () => {
    // Another run may have finished while we waited for the lock.
    if (!FORCE && !stampProblem(tfn, wantCuda)) {
      log('provisioned by a concurrent run');
      return;
    }
    // Download/extract first: a failure there leaves an existing install untouched.
    const extracted = ensureExtracted(cacheDir, FORCE);
    const nvidia = installCuda ? ensureCudaExtracted(cacheDir, FORCE) : null;
    rmrf(path.join(tfn.depsDir, STAMP_NAME));
    placeDeps(tfn, extracted);
    if (nvidia) placeCudaLibs(tfn, nvidia);
    const fromCache = !FORCE && restoreCachedBinding(tfn, cacheDir);
    if (!fromCache) {
      buildBinding(tfn, repoRoot, cacheDir);
      checkSymbols(tfn);
    }
    const r = verify(repoRoot, tfn, TF_WHEEL.version);
    if (!fromCache) saveBindingToCache(tfn, cacheDir);
    log(
      `verified: backend=${r.backend} matMul=[${r.matMul}] TF_Version=${r.tfVersion}${GPU ? ` gpu=${r.gpu}` : ''}`,
    );
    if (GPU) gpuReport(tfn, cacheDir, nvidia != null);
    const stamp = {
      ...expectedStamp(tfn),
      ...(GPU ? {cudaLibs: nvidia ? CUDA_LIBS_KEY : null} : {}),
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
