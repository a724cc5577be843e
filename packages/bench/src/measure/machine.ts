import * as tf from '@tensorflow/tfjs';
import os from 'node:os';
import {CPU_FLAGS_OF_INTEREST, cpuFeatures, parseCpuInfo} from '@tfjs-amp/kernels';
import type {MachineInfo} from '../suite-report.js';

/**
 * CPU flags that explain a mixed-precision speed figure, as /proc/cpuinfo spells them and in the
 * order they are printed (`@tfjs-amp/kernels`'s `CPU_FLAGS_OF_INTEREST`, one list for the repo):
 * vector width and conversions, then the 16-bit dot-product and matrix units.
 */
export const HALF_PRECISION_FLAGS: readonly string[] = CPU_FLAGS_OF_INTEREST;

/** Flags that give a CPU bfloat16 arithmetic units (dot products or AMX tiles). */
export const BF16_UNIT_FLAGS: readonly string[] = Object.freeze(['avx512_bf16', 'amx_bf16']);

/** Flags that give a CPU float16 arithmetic units. */
export const FP16_UNIT_FLAGS: readonly string[] = Object.freeze(['amx_fp16']);

/**
 * The {@link HALF_PRECISION_FLAGS} present in a /proc/cpuinfo text, in that order (parsed by
 * `@tfjs-amp/kernels`'s `parseCpuInfo`); empty when the text has none (not x86, or not Linux).
 * @example cpuFlagsOf('flags : fpu avx2 fma avx512_bf16') // ['avx2', 'fma', 'avx512_bf16']
 */
export function cpuFlagsOf(cpuinfo: string): string[] {
  return [...parseCpuInfo(cpuinfo).flags];
}

/**
 * Whether CPU flags give 16-bit arithmetic units: bf16 with avx512_bf16 or amx_bf16, fp16 with
 * amx_fp16 (avx512_fp16 alone gives TF's float16 kernels no speed-up; as @tfjs-amp/kernels'
 * dispatch decides). Without them a 16-bit kernel converts in software and cannot beat
 * float32.
 * @example halfPrecisionUnits(['avx2', 'avx512_bf16']) // {bf16: true, fp16: false}
 */
export function halfPrecisionUnits(flags: readonly string[]): {bf16: boolean; fp16: boolean} {
  return {
    bf16: BF16_UNIT_FLAGS.some((f) => flags.includes(f)),
    fp16: FP16_UNIT_FLAGS.some((f) => flags.includes(f)),
  };
}

function cpuFlags(): string[] {
  return [...cpuFeatures().flags];
}

function backendFlags(backend: string): Record<string, boolean> {
  const flags: Record<string, boolean> = {};
  if (backend === 'wasm') {
    for (const [key, flag] of [
      ['simd', 'WASM_HAS_SIMD_SUPPORT'],
      ['threads', 'WASM_HAS_MULTITHREAD_SUPPORT'],
    ] as const) {
      try {
        flags[key] = tf.env().getBool(flag);
      } catch {
        // Flag not evaluated in this environment.
      }
    }
  }
  return flags;
}

/** Where the suite ran: CPU, cores, memory, flags, Node, tfjs and the active backend. */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  const flags = cpuFlags();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    memoryBytes: os.totalmem(),
    cpuFlags: flags,
    halfPrecisionUnits: halfPrecisionUnits(flags),
    platform: `${process.platform} ${process.arch}`,
    node: process.version,
    tfjs: tf.version.tfjs,
    backend: tf.getBackend(),
    backendFlags: backendFlags(tf.getBackend()),
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/**
 * What the CPU has for 16-bit arithmetic, with the flags that explain it, for a speed table:
 * `CPU flags: has avx2 f16c fma avx512f avx512_bf16; lacks avx512_fp16 amx_tile amx_bf16
 * amx_fp16 · 16-bit units: bf16 yes (avx512_bf16), fp16 no (needs amx_fp16)`.
 * Null when the flags are unknown (not x86 Linux).
 */
export function describeHalfPrecisionUnits(m: MachineInfo): string | null {
  if (m.cpuFlags.length === 0) return null;
  const lacks = HALF_PRECISION_FLAGS.filter((f) => !m.cpuFlags.includes(f));
  const unit = (name: string, unitFlags: readonly string[]) => {
    const have = unitFlags.filter((f) => m.cpuFlags.includes(f));
    return have.length > 0
      ? `${name} yes (${have.join(', ')})`
      : `${name} no (needs ${unitFlags.join(' or ')})`;
  };
  return (
    `CPU flags: has ${m.cpuFlags.join(' ')}` +
    (lacks.length > 0 ? `; lacks ${lacks.join(' ')}` : '') +
    ` · 16-bit units: ${unit('bf16', BF16_UNIT_FLAGS)}, ${unit('fp16', FP16_UNIT_FLAGS)}`
  );
}

/** One line for table headers: `Intel Xeon ..., 2 cores, 24 GB, linux x64, Node v20, tfjs 4.22.0, wasm (simd)`. */
export function describeMachine(m: MachineInfo): string {
  const on = Object.entries(m.backendFlags)
    .filter(([, v]) => v)
    .map(([k]) => k);
  const flags = m.cpuFlags.length > 0 ? ` [${m.cpuFlags.join(' ')}]` : '';
  return (
    `${m.cpu}${flags}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(0)} GiB, ${m.platform}, ` +
    `Node ${m.node}, tfjs ${m.tfjs}, backend ${m.backend}${on.length > 0 ? ` (${on.join(', ')})` : ''}`
  );
}
