import {afterEach, describe, expect, it} from 'vitest';
import {getGlobalPolicy, setGlobalPolicy} from './global-policy.js';
import {Policy} from './policy.js';

afterEach(() => setGlobalPolicy('float32'));

describe('setGlobalPolicy', () => {
  it('starts at float32 and takes a name or a Policy', () => {
    expect(getGlobalPolicy().name).toBe('float32');
    setGlobalPolicy('mixed_float16');
    expect(getGlobalPolicy().computeDtype).toBe('float16');
    const p = new Policy('mixed_bfloat16');
    setGlobalPolicy(p);
    expect(getGlobalPolicy()).toBe(p);
  });

  it('rejects an unknown name and keeps the previous policy', () => {
    setGlobalPolicy('mixed_float16');
    expect(() => setGlobalPolicy('half' as 'float16')).toThrow(
      "setGlobalPolicy: unknown policy name 'half'. Allowed: bfloat16,",
    );
    expect(getGlobalPolicy().name).toBe('mixed_float16');
  });
});
