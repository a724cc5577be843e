import * as tf from '@tensorflow/tfjs';
import {readFileSync} from 'node:fs';
import os from 'node:os';
import type {MachineInfo} from '../suite-report.js';

/** CPU flags that matter for half precision, as /proc/cpuinfo spells them. */
const HALF_PRECISION_FLAGS: readonly string[] = [
  'amx_bf16',
  'amx_fp16',
  'avx2',
  'avx512_bf16',
  'avx512_fp16',
  'avx512f',
  'f16c',
  'fma',
];

function cpuFlags(): string[] {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const line = info.split('\n').find((l) => l.startsWith('flags') || l.startsWith('Features'));
    if (line == null) return [];
    const flags = new Set(line.split(':')[1]!.trim().split(/\s+/));
    return HALF_PRECISION_FLAGS.filter((f) => flags.has(f));
  } catch {
    return [];
  }
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
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    memoryBytes: os.totalmem(),
    cpuFlags: cpuFlags(),
    platform: `${process.platform} ${process.arch}`,
    node: process.version,
    tfjs: tf.version.tfjs,
    backend: tf.getBackend(),
    backendFlags: backendFlags(tf.getBackend()),
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
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
