/**
 * What tfjs-amp needs to know about the CPU: its model name, the instruction-set flags that decide
 * whether 16-bit arithmetic is fast, and which 16-bit units it has.
 */
export interface CpuFeatures {
  /** `model name` from /proc/cpuinfo, or `unknown`. */
  readonly model: string;
  /** The flags among {@link CPU_FLAGS_OF_INTEREST} that this CPU has, in that order. */
  readonly flags: readonly string[];
  /** bfloat16 dot-product units: avx512_bf16 (vdpbf16ps) or amx_bf16 (AMX tiles). */
  readonly bf16Units: boolean;
  /** float16 matrix units: amx_fp16 (AMX tiles). avx512_fp16 alone gives no speed-up in TF. */
  readonly fp16Units: boolean;
  /** Where the facts came from: `/proc/cpuinfo`, or `unknown` (not Linux, or not readable). */
  readonly source: '/proc/cpuinfo' | 'unknown';
}

/**
 * The CPU flags that explain a mixed-precision speed figure, in the order they are printed:
 * vector width and conversions first, then the 16-bit dot-product and matrix units.
 */
export const CPU_FLAGS_OF_INTEREST: readonly string[] = Object.freeze([
  'avx2',
  'fma',
  'f16c',
  'avx512f',
  'avx512_bf16',
  'avx512_fp16',
  'amx_tile',
  'amx_bf16',
  'amx_fp16',
]);

/**
 * Parses the text of /proc/cpuinfo (the first processor's `model name` and `flags`). Pure: the
 * tests feed it recorded texts of several CPUs.
 */
export function parseCpuInfo(text: string): CpuFeatures {
  const model = /^model name\s*:\s*(.*)$/m.exec(text)?.[1]?.trim() ?? 'unknown';
  const all = new Set((/^flags\s*:\s*(.*)$/m.exec(text)?.[1] ?? '').trim().split(/\s+/));
  const flags = CPU_FLAGS_OF_INTEREST.filter((f) => all.has(f));
  return Object.freeze({
    model,
    flags: Object.freeze(flags),
    bf16Units: all.has('avx512_bf16') || all.has('amx_bf16'),
    fp16Units: all.has('amx_fp16'),
    source: '/proc/cpuinfo',
  });
}

export const UNKNOWN_CPU: CpuFeatures = Object.freeze({
  model: 'unknown',
  flags: Object.freeze([]),
  bf16Units: false,
  fp16Units: false,
  source: 'unknown',
});

let cached: CpuFeatures | null = null;
let overridden: CpuFeatures | null = null;
let generation = 0;

/**
 * Test hook: makes {@link cpuFeatures} answer `features` (null: this machine's again), so the
 * dispatch can be exercised as on another CPU. Returns the previous override.
 */
export function overrideCpuFeatures(features: CpuFeatures | null): CpuFeatures | null {
  const previous = overridden;
  overridden = features;
  generation++;
  return previous;
}

/** Changes whenever {@link overrideCpuFeatures} is called (decisions cached on it go stale). */
export function cpuFeaturesGeneration(): number {
  return generation;
}

/**
 * This machine's {@link CpuFeatures}, read once from /proc/cpuinfo. Outside Node or Linux (a
 * browser, macOS) the model and flags are unknown and no 16-bit units are assumed.
 * @example
 * cpuFeatures() // {model: 'Intel(R) Xeon(R) Platinum 8481C', flags: ['avx2', ..., 'amx_bf16'], bf16Units: true, ...}
 */
export function cpuFeatures(): CpuFeatures {
  if (overridden != null) return overridden;
  if (cached == null) cached = readCpuFeatures();
  return cached;
}

function readCpuFeatures(): CpuFeatures {
  // process.getBuiltinModule (Node ≥ 20.16) keeps node:fs out of browser bundles.
  const proc = (globalThis as {process?: {getBuiltinModule?: (name: string) => unknown}}).process;
  const fs = proc?.getBuiltinModule?.('node:fs') as
    | {readFileSync(path: string, encoding: 'utf8'): string}
    | undefined;
  if (fs == null) return UNKNOWN_CPU;
  try {
    return parseCpuInfo(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return UNKNOWN_CPU;
  }
}
