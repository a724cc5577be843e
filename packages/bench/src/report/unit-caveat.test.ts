import {describe, expect, it} from 'vitest';
import {fakeReport, fakeRun} from '../../test/support.js';
import type {SuiteReport} from '../suite-report.js';
import {findings} from './findings.js';
import {formatMarkdown, formatTable} from './table.js';
import {missingUnits, ratioCell} from './unit-caveat.js';

/** A tensorflow-backend report on a CPU with `flags`, mixed_bfloat16 at 0.8× float32. */
function tensorflowReport(flags: string[]): SuiteReport {
  const runs = [
    fakeRun({policy: 'float32', medianMs: 10}),
    fakeRun({policy: 'mixed_float16', medianMs: 11}),
    fakeRun({policy: 'mixed_bfloat16', medianMs: 8}),
  ].map((r) =>
    r.policy === 'float32' ? r : {...r, execution: {mode: 'native' as const, layers: {native: 3}}},
  );
  const base = fakeReport(runs);
  const machine = {...base.machine, backend: 'tensorflow', backendFlags: {}, cpuFlags: flags};
  return {...base, machine, ...findings(runs, base.options, base.workloads, machine)};
}

describe('speed ratios on a CPU without 16-bit units', () => {
  it('prints "no bf16 units" next to the ratio instead of a bare speed-up', () => {
    const report = tensorflowReport(['avx2', 'f16c', 'fma']);
    const text = formatTable(report);
    expect(text).toMatch(/mixed_bfloat16 .* 0\.80× \(no bf16 units\)/);
    expect(text).toMatch(/mixed_float16 .* 1\.10× \(no fp16 units\)/);
    expect(text).toContain('16-bit units: bf16 no (needs avx512_bf16 or amx_bf16)');
    expect(formatMarkdown(report)).toContain('0.80× (no bf16 units)');
    const note = report.notes.find((n) => n.startsWith('Speed (bf16'))!;
    expect(note).toMatch(
      /this CPU has no bf16 units \(it lacks avx512_bf16 and amx_bf16\).*0\.80× float32's step time .* which is no speed-up claim/,
    );
  });

  it('prints the plain ratio and names the units on a CPU that has them', () => {
    const report = tensorflowReport(['avx2', 'avx512f', 'avx512_bf16']);
    const text = formatTable(report);
    expect(text).toMatch(/mixed_bfloat16 .* 0\.80× /);
    expect(text).not.toContain('no bf16 units');
    expect(text).toContain('no fp16 units');
    expect(report.notes.find((n) => n.startsWith('Speed (bf16'))).toMatch(
      /this CPU has bf16 units \(avx512_bf16\); mixed_bfloat16 took 0\.80×/,
    );
  });

  it('says nothing about units on emulating backends or with unknown flags', () => {
    const wasm = fakeReport([]).machine;
    expect(missingUnits('mixed_bfloat16', {...wasm, cpuFlags: ['avx2']})).toBeNull();
    const tf = {...wasm, backend: 'tensorflow'};
    expect(missingUnits('mixed_bfloat16', {...tf, cpuFlags: []})).toBeNull();
    expect(missingUnits('float32', {...tf, cpuFlags: ['avx2']})).toBeNull();
    expect(missingUnits('mixed_tf32', {...tf, cpuFlags: ['avx2']})).toBeNull();
    expect(ratioCell(null, 'mixed_bfloat16', {...tf, cpuFlags: ['avx2']})).toBe('1.00×');
  });
});
