import {describe, expect, it, vi} from 'vitest';
import {
  checkInteger,
  describeValue,
  invalidChoice,
  outOfRange,
  quantile,
  timeRatio,
  warnOnce,
  wrongType,
  wrongTypeOf,
} from './index.js';
import {tfjsNodeBindingPresent} from './node.js';

describe('describeValue', () => {
  it('quotes strings and names classes, arrays and typed arrays', () => {
    expect(describeValue('x')).toBe("'x'");
    expect(describeValue(null)).toBe('null');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue(new Float32Array(2))).toBe('Float32Array');
    expect(describeValue([1])).toBe('Array');
    expect(describeValue({a: 1})).toBe('object');
    expect(describeValue(new Map())).toBe('Map');
    expect(describeValue(3)).toBe('3');
  });

  it('names a function without printing its source', () => {
    function secretBody() {
      return 'do not print me';
    }
    expect(describeValue(secretBody)).toBe('function secretBody');
    expect(describeValue(() => 1)).toBe('function (anonymous)');
  });
});

describe('error builders', () => {
  it('invalidChoice lists what is allowed and the fix, as a TypeError', () => {
    const e = invalidChoice(
      'Policy',
      'name',
      'mixed_float61',
      ['float32', 'mixed_float16'],
      'Fix.',
    );
    expect(e).toBeInstanceOf(TypeError);
    expect(e.message).toBe(
      "Policy: unknown name 'mixed_float61'. Allowed: float32, mixed_float16. Fix.",
    );
  });

  it('outOfRange is a RangeError naming the range and the value', () => {
    const e = outOfRange('LossScaleOptimizer', 'backoffFactor', 'in (0, 1)', 2);
    expect(e).toBeInstanceOf(RangeError);
    expect(e.message).toBe('LossScaleOptimizer: backoffFactor must be in (0, 1); got 2.');
    expect(outOfRange('w', 'n', 'r', 'v', 'Fix.').message).toBe("w: n must be r; got 'v'. Fix.");
  });

  it('wrongType takes a worded actual; wrongTypeOf describes a raw value', () => {
    expect(wrongType('quantize', 'x', 'a float32 tensor', 'int32', 'Cast it.').message).toBe(
      'quantize: x must be a float32 tensor; got int32. Cast it.',
    );
    const e = wrongTypeOf('combineCallbacks', 'callbacks', 'an array', 'x');
    expect(e).toBeInstanceOf(TypeError);
    expect(e.message).toBe("combineCallbacks: callbacks must be an array; got 'x'.");
  });

  it('checkInteger returns integers in range and refuses others', () => {
    expect(checkInteger('w', 'n', 5, 1)).toBe(5);
    expect(() => checkInteger('w', 'n', 0, 1)).toThrow(
      new RangeError('w: n must be an integer ≥ 1; got 0.'),
    );
    expect(() => checkInteger('w', 'n', 2.5, 1, 3)).toThrow('an integer in [1, 3]; got 2.5');
  });
});

describe('quantile', () => {
  it('interpolates between ranks (numpy linear)', () => {
    // (n-1)q = 0.75 for [1,2,3,4] at q = 0.25: 1 + 0.75·(2-1) = 1.75.
    expect(quantile([1, 2, 3, 4], 0.25)).toBe(1.75);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 0)).toBe(1);
    expect(quantile([1, 2, 3, 4], 1)).toBe(4);
    expect(quantile([7], 0.9)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('refuses q outside [0, 1]', () => {
    expect(() => quantile([1], 50)).toThrow(RangeError);
    expect(() => quantile([1], Number.NaN)).toThrow(RangeError);
  });

  it('timeRatio is candidate / baseline (lower is faster)', () => {
    expect(timeRatio(8, 10)).toBe(0.8);
  });
});

describe('warnOnce', () => {
  it('warns once per key', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    warnOnce('shared.test:a', 'first');
    warnOnce('shared.test:a', 'again');
    warnOnce('shared.test:b', 'other');
    expect(warn.mock.calls).toEqual([['first'], ['other']]);
    warn.mockRestore();
  });
});

describe('tfjsNodeBindingPresent', () => {
  it('answers without loading tfjs-node', () => {
    expect(typeof tfjsNodeBindingPresent()).toBe('boolean');
    if (process.env.TFJS_AMP_REQUIRE_NODE === '1') expect(tfjsNodeBindingPresent()).toBe(true);
  });
});
