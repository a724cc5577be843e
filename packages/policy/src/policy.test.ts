import {describe, expect, it} from 'vitest';
import {POLICY_NAMES, Policy, isPolicyName, toPolicy} from './policy.js';

describe('Policy', () => {
  it('splits mixed policies into a low compute format and float32 variables', () => {
    const p = new Policy('mixed_float16');
    expect([p.name, p.computeDtype, p.variableDtype]).toEqual([
      'mixed_float16',
      'float16',
      'float32',
    ]);
    const bf = new Policy('mixed_bfloat16');
    expect([bf.computeDtype, bf.variableDtype]).toEqual(['bfloat16', 'float32']);
    const fp8 = new Policy('mixed_float8_e4m3fn');
    expect([fp8.computeDtype, fp8.variableDtype]).toEqual(['float8_e4m3fn', 'float32']);
  });

  it('uses the format for compute and variables in pure policies, float32 for float32', () => {
    expect([new Policy('float16').computeDtype, new Policy('float16').variableDtype]).toEqual([
      'float16',
      'float16',
    ]);
    expect(new Policy('bfloat16').variableDtype).toBe('bfloat16');
    expect(new Policy('float32').isLowPrecision).toBe(false);
    expect(new Policy('mixed_tf32').isLowPrecision).toBe(true);
  });

  it('lists every name, sorted, one per kernels format plus the pure half policies', () => {
    expect(POLICY_NAMES).toEqual([
      'bfloat16',
      'float16',
      'float32',
      'mixed_bfloat16',
      'mixed_float16',
      'mixed_float8_e4m3fn',
      'mixed_float8_e5m2',
      'mixed_tf32',
    ]);
    expect(Object.isFrozen(POLICY_NAMES)).toBe(true);
    expect(POLICY_NAMES.every((n) => isPolicyName(n) && new Policy(n).name === n)).toBe(true);
  });

  it('throws on an unknown name, listing the valid ones', () => {
    expect(() => new Policy('mixed_float61' as 'float16')).toThrow(
      new TypeError(
        "Policy: unknown name 'mixed_float61'. Allowed: bfloat16, float16, float32, mixed_bfloat16, " +
          'mixed_float16, mixed_float8_e4m3fn, mixed_float8_e5m2, mixed_tf32.',
      ),
    );
  });

  it('suggests the mixed policy for a format without a pure one', () => {
    expect(() => new Policy('float8_e5m2' as 'float16')).toThrow(
      "Did you mean 'mixed_float8_e5m2'? (only float16 and bfloat16 have a pure policy)",
    );
  });

  it('is frozen and serializes to its name', () => {
    const p = new Policy('mixed_bfloat16');
    expect(Object.isFrozen(p)).toBe(true);
    expect(JSON.stringify({p})).toBe('{"p":"mixed_bfloat16"}');
    expect(String(p)).toBe('Policy(mixed_bfloat16)');
  });
});

describe('toPolicy', () => {
  it('accepts a Policy or a name and names the argument in errors', () => {
    const p = new Policy('float16');
    expect(toPolicy(p, 'f')).toBe(p);
    expect(toPolicy('mixed_float16', 'f').computeDtype).toBe('float16');
    expect(() => toPolicy(16, 'f', 'policy')).toThrow(
      'f: policy must be a Policy or one of bfloat16, float16, float32, mixed_bfloat16, mixed_float16, ' +
        'mixed_float8_e4m3fn, mixed_float8_e5m2, mixed_tf32; got 16.',
    );
  });
});
