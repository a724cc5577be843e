import type {PolicyName} from '@tfjs-amp/policy';
import {BF16_UNIT_FLAGS, FP16_UNIT_FLAGS, halfPrecisionUnits} from '../measure/machine.js';
import type {MachineInfo} from '../suite-report.js';

/** A 16-bit format with hardware units on some CPUs. */
export type UnitFormat = 'bf16' | 'fp16';

/** The 16-bit format a policy computes in: `bf16` for the bfloat16 ones, `fp16` for float16. */
export function unitFormatOf(policy: PolicyName): UnitFormat | null {
  if (policy.includes('bfloat16')) return 'bf16';
  if (policy.includes('float16')) return 'fp16';
  return null;
}

/** The flags that would give `format` units, for messages. */
export function unitFlags(format: UnitFormat): readonly string[] {
  return format === 'bf16' ? BF16_UNIT_FLAGS : FP16_UNIT_FLAGS;
}

/**
 * Whether the machine's CPU has units for `format`: true or false from its flags, null when the
 * flags are unknown (not x86 Linux).
 */
export function hasUnits(machine: MachineInfo, format: UnitFormat): boolean | null {
  if (machine.cpuFlags.length === 0) return null;
  const units = machine.halfPrecisionUnits ?? halfPrecisionUnits(machine.cpuFlags);
  return units[format];
}

/**
 * The 16-bit format whose missing units make `policy`'s speed ratio no speed-up claim: on the
 * `tensorflow` backend (where 16-bit kernels can run natively) a policy computing in a format
 * the CPU has no units for. Null where the ratio means what it says, or the flags are unknown.
 * @example missingUnits('mixed_bfloat16', machineWithoutAvx512Bf16) // 'bf16'
 */
export function missingUnits(policy: PolicyName, machine: MachineInfo): UnitFormat | null {
  if (machine.backend !== 'tensorflow') return null;
  const format = unitFormatOf(policy);
  return format != null && hasUnits(machine, format) === false ? format : null;
}

/** The ratio as tables show it: `0.71×`, or `1.04× (no bf16 units)` where {@link missingUnits}. */
export function ratioCell(ratio: number | null, policy: PolicyName, machine: MachineInfo): string {
  const text = ratio == null ? '1.00×' : `${ratio.toFixed(2)}×`;
  const missing = ratio == null ? null : missingUnits(policy, machine);
  return missing == null ? text : `${text} (no ${missing} units)`;
}
