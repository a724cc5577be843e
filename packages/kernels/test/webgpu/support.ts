// Starts tfjs's webgpu backend in Node for the WebGPU suites: Dawn (the `webgpu` npm package) on
// the Vulkan driver that `npm run provision:webgpu` unpacked (Mesa 25 lavapipe, which has
// shader-f16), with the device created with `shader-f16` (requestShaderF16).
import * as tf from '@tensorflow/tfjs';
import {existsSync, readFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {announceSkip} from '@tfjs-amp/test-utils';
import {describe} from 'vitest';
import {requestShaderF16} from '../../src/kernels/webgpu/wgsl/shader-f16.js';

/** What to run to include the WebGPU suites. */
export const WEBGPU_HOW_TO_INCLUDE =
  'run `npm run provision:webgpu` once (Mesa 25 lavapipe from bookworm-backports, unpacked into ' +
  '~/.cache/tfjs-amp), then `TFJS_AMP_REQUIRE_WEBGPU=1 npm test` (a missing adapter then fails ' +
  'instead of skipping)';

/** True when CI demands that the WebGPU suites run. */
export function webgpuRequired(): boolean {
  return process.env.TFJS_AMP_REQUIRE_WEBGPU === '1';
}

interface ProvisionedEnv {
  VK_ICD_FILENAMES: string;
  LD_LIBRARY_PATH: string;
  vulkanLoader: string;
}

function provisionedEnv(): ProvisionedEnv | null {
  const cache = process.env.TFJS_AMP_CACHE_DIR
    ? path.resolve(process.env.TFJS_AMP_CACHE_DIR)
    : path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'tfjs-amp');
  const file = path.join(cache, 'webgpu', 'env.json');
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8')) as ProvisionedEnv;
}

/**
 * Points the Vulkan loader at the provisioned driver when the environment does not already name
 * one. LD_LIBRARY_PATH is read only at process start, so the loader (libvulkan.so.1, which Dawn
 * dlopens by that name) is loaded here by its path, kept resident (RTLD_NODELETE), and Dawn's
 * dlopen then finds it by its soname. process.dlopen throws for a library that is not a Node
 * addon, after loading it: that error is expected.
 */
function useProvisionedVulkan(): void {
  const env = provisionedEnv();
  if (env == null) return;
  if (process.env.VK_ICD_FILENAMES == null) process.env.VK_ICD_FILENAMES = env.VK_ICD_FILENAMES;
  const preloaded = (process.env.LD_LIBRARY_PATH ?? '').split(':').includes(env.LD_LIBRARY_PATH);
  if (preloaded || !existsSync(env.vulkanLoader)) return;
  const RTLD_NODELETE = 0x1000;
  const {RTLD_NOW, RTLD_GLOBAL} = os.constants.dlopen as {RTLD_NOW: number; RTLD_GLOBAL: number};
  try {
    process.dlopen({exports: {}}, env.vulkanLoader, RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE);
  } catch {
    // "Module did not self-register": expected, the library stays loaded.
  }
}

/** Why the WebGPU backend could not start with shader-f16, or null when it did. */
let startup: Promise<string | null> | undefined;

async function start(requestF16: boolean): Promise<string | null> {
  useProvisionedVulkan();
  let dawn: {create(flags: string[]): unknown; globals: Record<string, unknown>};
  try {
    dawn = (await import('webgpu' as string)) as typeof dawn;
  } catch (err) {
    return `the 'webgpu' package (Dawn) did not load: ${String(err)}`;
  }
  Object.assign(globalThis, dawn.globals);
  const nav = (globalThis as unknown as {navigator?: object}).navigator;
  const gpu = dawn.create([]);
  if (nav == null) {
    Object.defineProperty(globalThis, 'navigator', {value: {gpu}, configurable: true});
  } else {
    Object.defineProperty(nav, 'gpu', {value: gpu, configurable: true});
  }
  const adapter = await (
    gpu as {requestAdapter(): Promise<{features: Set<string>} | null>}
  ).requestAdapter();
  if (adapter == null) return 'Dawn found no WebGPU adapter (no Vulkan driver)';
  if (!adapter.features.has('shader-f16')) {
    return "the WebGPU adapter has no 'shader-f16' (Debian 12's Mesa 22 and SwiftShader lack it)";
  }
  // navigator.gpu must exist before tfjs-backend-webgpu is imported: it registers the backend
  // only when WebGPU is supported at import time.
  await import('@tensorflow/tfjs-backend-webgpu' as string);
  if (!requestF16) return null;
  const requested = requestShaderF16();
  if (requested !== 'requested' && requested !== 'has-f16') {
    return `requestShaderF16() returned '${requested}'`;
  }
  return null;
}

/**
 * Loads Dawn and tfjs-backend-webgpu once per test file (each file runs in its own worker) and,
 * unless `requestF16` is false, makes tfjs create its device with shader-f16. Resolves why the
 * adapter cannot run the float16 kernels, or null.
 */
export function webgpuUnavailable(requestF16 = true): Promise<string | null> {
  startup ??= start(requestF16);
  return startup;
}

/**
 * `describe` when the WebGPU backend starts with shader-f16, or when `TFJS_AMP_REQUIRE_WEBGPU=1`
 * (then a missing adapter fails the suite); otherwise `describe.skip` plus one notice line.
 */
export async function describeWithWebGPU(
  name: string,
  suite: () => void,
  requestF16 = true,
): Promise<void> {
  const reason = await webgpuUnavailable(requestF16);
  if (reason == null) {
    describe(name, suite);
    return;
  }
  if (webgpuRequired()) {
    describe(name, () => {
      throw new Error(`TFJS_AMP_REQUIRE_WEBGPU=1 but ${reason}. ${WEBGPU_HOW_TO_INCLUDE}.`);
    });
    return;
  }
  announceSkip(name, reason, WEBGPU_HOW_TO_INCLUDE);
  describe.skip(`${name} (skipped: no WebGPU adapter with shader-f16)`, suite);
}

/** Activates the webgpu backend (created with shader-f16). Each test file runs in its own worker. */
export async function useWebGPU(): Promise<void> {
  if (!(await tf.setBackend('webgpu'))) throw new Error("tf.setBackend('webgpu') failed");
  await tf.ready();
}

/** Live data ids of the webgpu backend (tensors and their GPU buffers), for leak checks. */
export function webgpuDataIds(): number {
  return (tf.engine().backend as unknown as {numDataIds(): number}).numDataIds();
}
