import {describe, expect, it} from 'vitest';
import {lossThresholdRule} from './loss-threshold-rule.js';
import type {PrecisionRuleInput} from './precision-rule.js';

const input = (logs: Record<string, number>): PrecisionRuleInput => ({
  epoch: 0,
  batch: 0,
  step: 0,
  policy: 'mixed_bfloat16',
  loss: logs.loss,
  logs,
  lossScale: null,
  skippedSteps: null,
  numerics: null,
  switches: [],
});

describe('lossThresholdRule', () => {
  it('picks above while the loss is above the threshold, below at or under it', () => {
    const rule = lossThresholdRule({threshold: 0.5});
    expect(rule(input({loss: 0.51}))).toBe('mixed_bfloat16');
    expect(rule(input({loss: 0.5}))).toBe('float32');
    expect(rule(input({loss: 0.1}))).toBe('float32');
  });

  it('keeps the current policy when the value is missing or non-finite', () => {
    const rule = lossThresholdRule({threshold: 1, key: 'val_loss'});
    expect(rule(input({loss: 0.1}))).toBeNull();
    expect(rule(input({val_loss: Number.NaN}))).toBeNull();
    expect(rule(input({val_loss: 2}))).toBe('mixed_bfloat16');
  });

  it('takes other policies', () => {
    const rule = lossThresholdRule({threshold: 1, above: 'float32', below: 'mixed_float16'});
    expect(rule(input({loss: 3}))).toBe('float32');
    expect(rule(input({loss: 1}))).toBe('mixed_float16');
  });

  it('rejects bad options, naming what is allowed', () => {
    expect(() => lossThresholdRule({threshold: Number.NaN})).toThrow(
      new RangeError('lossThresholdRule: threshold must be a finite number; got NaN.'),
    );
    expect(() => lossThresholdRule({threshold: 1, above: 'fp16' as 'float16'})).toThrow(
      "lossThresholdRule: unknown policy in above 'fp16'. Allowed: bfloat16, float16, float32, mixed_bfloat16, mixed_float16, mixed_float8_e4m3fn, mixed_float8_e5m2, mixed_tf32.",
    );
    expect(() => lossThresholdRule({threshold: 1, treshold: 2} as never)).toThrow(
      "lossThresholdRule: unknown option 'treshold'. Allowed: threshold, above, below, key.",
    );
  });
});
