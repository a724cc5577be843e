// tfjs-node-gpu (TF's CUDA build, provisioned by `provision-tfjs-node --gpu`) on a machine
// without a visible GPU: the binding loads from tfjs-node-gpu's own deps, TF falls back to the
// CPU, the native half-precision kernels run there, their results equal tfjs-node's bit for bit
// (same TF version, same CPU kernels, same machine), and nothing leaks. Run by
// vitest.gpu.config.ts only (see there); the file name keeps it out of the default suites.
import * as tf from '@tensorflow/tfjs';
import {execFileSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {expectBitsEqual, expectNoLeaks, useBackend} from '@tfjs-amp/test-utils';
import {beforeAll, describe, expect, it} from 'vitest';
import {nativeBackendInfo} from '../../src/index.js';
import {OpSpy, productOp} from '../tensorflow/support.js';
import {runWorkloads, type WorkloadBits} from './workloads.js';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const gpuDir = dirname(require.resolve('@tensorflow/tfjs-node-gpu/package.json'));
const cpuDir = dirname(require.resolve('@tensorflow/tfjs-node/package.json'));

/** Shared objects mapped into this process (Linux). */
function mappedFiles(): string[] {
  const paths = new Set<string>();
  for (const line of readFileSync('/proc/self/maps', 'utf8').split('\n')) {
    const at = line.indexOf('/');
    if (at >= 0) paths.add(line.slice(at));
  }
  return [...paths];
}

/** runWorkloads() on tfjs-node, in a child process. */
function cpuReference(): {pkg: string; tfVersion: string; libtf: string; bits: WorkloadBits} {
  const out = execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=@tfjs-amp/source',
      join(here, 'fixtures', 'cpu-reference.ts'),
      '@tensorflow/tfjs-node',
    ],
    {
      cwd: join(here, '..', '..'),
      env: {...process.env, TF_CPP_MIN_LOG_LEVEL: '2'},
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    },
  );
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

describe('tfjs-node-gpu on CPU fallback', () => {
  beforeAll(async () => {
    await useBackend('tensorflow');
  });

  it("loads tfjs-node-gpu's binding and the CUDA build of libtensorflow, not tfjs-node's", () => {
    const files = mappedFiles();
    const binding = files.find((f) => f.endsWith('/tfjs_binding.node'));
    const libtf = files.find((f) => f.endsWith('/libtensorflow_cc.so.2'));
    expect(binding, 'tfjs_binding.node mapped').toBeDefined();
    expect(binding!.startsWith(`${gpuDir}/`), `${binding} under ${gpuDir}`).toBe(true);
    expect(libtf!.startsWith(`${gpuDir}/deps/lib/`), `${libtf} under ${gpuDir}/deps/lib`).toBe(
      true,
    );
    expect(files.filter((f) => f.startsWith(`${cpuDir}/`))).toEqual([]);
    const stamp = JSON.parse(readFileSync(join(gpuDir, 'deps', 'tfjs-amp-provision.json'), 'utf8'));
    expect(stamp.tfPackage).toBe('tensorflow'); // the CUDA wheel, not tensorflow-cpu
    expect(nativeBackendInfo()?.tensorflowVersion).toBe(stamp.tfVersion);
  });

  it('reports the device TF runs ops on: the CPU here unless a GPU is visible', () => {
    const binding = (tf.backend() as unknown as {binding: {isUsingGpuDevice(): boolean}}).binding;
    const info = nativeBackendInfo();
    expect(info?.device).toBe(binding.isUsingGpuDevice() ? 'gpu' : 'cpu');
    console.log(`tfjs-node-gpu: TF ${info?.tensorflowVersion}, ops on ${info?.device}`);
  });

  it('runs the native float16 and bfloat16 kernels, without leaks', async () => {
    const spy = new OpSpy();
    try {
      await expectNoLeaks(() => runWorkloads());
      // Every matrix kernel's TF op ran with T = half (19) and with T = bfloat16 (14); a product
      // of matrices as MatMul where that sums in float32 (runHalfProduct).
      const convs = ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput'];
      convs.push(
        'DepthwiseConv2dNative',
        'DepthwiseConv2dNativeBackpropFilter',
        'DepthwiseConv2dNativeBackpropInput',
      );
      for (const format of ['float16', 'bfloat16'] as const) {
        const ops = [productOp(format), ...convs];
        // (Fused kernels may run their epilogue in the format too: only these must be there.)
        expect([...new Set(spy.nativeOps(format))], format).toEqual(expect.arrayContaining(ops));
      }
    } finally {
      spy.restore();
    }
  });

  it("gives tfjs-node's results bit for bit (both run TF 2.21's CPU kernels)", async (ctx) => {
    // On a visible GPU the kernels are cuBLAS/cuDNN's, whose sums differ from the CPU's.
    if (nativeBackendInfo()?.device === 'gpu') ctx.skip();
    const ours = await runWorkloads();
    const theirs = cpuReference();
    expect(theirs.pkg).toBe('@tensorflow/tfjs-node');
    expect(theirs.tfVersion).toBe(nativeBackendInfo()?.tensorflowVersion);
    expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs.bits).sort());
    expect(Object.keys(ours).length).toBe(2 * (13 + 5));
    for (const [name, bits] of Object.entries(ours)) {
      const f32 = (b: number[]) => new Float32Array(Uint32Array.from(b).buffer);
      expectBitsEqual(f32(bits), f32(theirs.bits[name]!), name);
    }
  });
});
