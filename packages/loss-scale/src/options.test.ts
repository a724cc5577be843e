import {describe, expect, it} from 'vitest';
import {
  DEFAULT_LOSS_SCALE_OPTIONS,
  FLOAT32_MAX,
  LOSS_SCALE_MODES,
  LOSS_SCALE_OPTION_NAMES,
  resolveLossScaleOptions,
} from './options.js';

describe('DEFAULT_LOSS_SCALE_OPTIONS', () => {
  it('is frozen and holds the documented defaults', () => {
    expect(Object.isFrozen(DEFAULT_LOSS_SCALE_OPTIONS)).toBe(true);
    expect(DEFAULT_LOSS_SCALE_OPTIONS).toEqual({
      backoffFactor: 0.5,
      clipNorm: null,
      clipValue: null,
      dynamic: true,
      fused: true,
      globalClipNorm: null,
      growthFactor: 2,
      growthInterval: 2000,
      hysteresis: 1,
      initialScale: 32768,
      maxScale: 16777216,
      minScale: 1,
      mode: 'auto',
      reportGradNorm: false,
    });
  });

  it('lists the option names sorted', () => {
    expect([...LOSS_SCALE_OPTION_NAMES]).toEqual(Object.keys(DEFAULT_LOSS_SCALE_OPTIONS).sort());
  });
});

describe('resolveLossScaleOptions', () => {
  it('fills in the defaults', () => {
    expect(resolveLossScaleOptions()).toEqual(DEFAULT_LOSS_SCALE_OPTIONS);
    expect(resolveLossScaleOptions({growthInterval: 5, clipNorm: undefined})).toEqual({
      ...DEFAULT_LOSS_SCALE_OPTIONS,
      growthInterval: 5,
    });
  });

  it('rounds scale values to float32', () => {
    const o = resolveLossScaleOptions({initialScale: 1000.1, minScale: 0.1, maxScale: FLOAT32_MAX});
    expect(o.initialScale).toBe(Math.fround(1000.1));
    expect(o.minScale).toBe(Math.fround(0.1));
    expect(o.maxScale).toBe(FLOAT32_MAX);
  });

  it('lets a fixed scale sit outside [minScale, maxScale]', () => {
    expect(resolveLossScaleOptions({dynamic: false, initialScale: 0.25}).initialScale).toBe(0.25);
  });

  const bad: [string, unknown, RegExp][] = [
    ['growthFactor', 1, /^LossScaleOptimizer: growthFactor must be > 1 and finite; got 1\.$/],
    ['growthFactor', 0.5, /growthFactor must be > 1 and finite; got 0\.5\./],
    ['growthFactor', Number.POSITIVE_INFINITY, /growthFactor must be > 1 and finite; got Infinity/],
    ['backoffFactor', 2, /^LossScaleOptimizer: backoffFactor must be in \(0, 1\); got 2\.$/],
    ['backoffFactor', 0, /backoffFactor must be in \(0, 1\); got 0\./],
    ['backoffFactor', 1, /backoffFactor must be in \(0, 1\); got 1\./],
    [
      'clipNorm',
      -1,
      /^LossScaleOptimizer: clipNorm must be a positive finite number, or null to turn it off; got -1\.$/,
    ],
    [
      'globalClipNorm',
      0,
      /globalClipNorm must be a positive finite number, or null to turn it off; got 0\./,
    ],
    [
      'clipValue',
      -0.5,
      /clipValue must be a positive finite number, or null to turn it off; got -0\.5\./,
    ],
    ['clipValue', Number.NaN, /clipValue must be a number; got NaN\./],
    ['growthInterval', 0, /growthInterval must be an integer in \[1, 2147483647\]; got 0\./],
    ['growthInterval', 2.5, /growthInterval must be an integer in \[1, 2147483647\]; got 2\.5\./],
    ['hysteresis', 0, /hysteresis must be an integer in \[1, 2147483647\]; got 0\./],
    [
      'initialScale',
      0,
      /initialScale must be a positive finite float32 \(at most 3\.4028234663852886e\+38\); got 0\./,
    ],
    ['initialScale', 1e39, /initialScale must be a positive finite float32/],
    ['minScale', -1, /minScale must be a positive finite float32/],
    [
      'initialScale',
      2 ** 30,
      /initialScale must be in \[minScale, maxScale\] = \[1, 16777216\] when dynamic; got 1073741824\. Widen minScale\/maxScale or pick another initialScale\./,
    ],
  ];
  for (const [name, value, message] of bad) {
    it(`throws a RangeError for ${name} = ${String(value)}`, () => {
      expect(() => resolveLossScaleOptions({[name]: value})).toThrow(RangeError);
      expect(() => resolveLossScaleOptions({[name]: value})).toThrow(message);
    });
  }

  it('throws a RangeError for maxScale below minScale', () => {
    expect(() => resolveLossScaleOptions({minScale: 8, maxScale: 4, initialScale: 4})).toThrow(
      'LossScaleOptimizer: maxScale must be at least minScale (8); got 4.',
    );
  });

  it('throws a TypeError for a value of the wrong type', () => {
    expect(() => resolveLossScaleOptions({initialScale: '1024'})).toThrow(TypeError);
    expect(() => resolveLossScaleOptions({initialScale: '1024'})).toThrow(
      "LossScaleOptimizer: initialScale must be a number; got '1024' (string).",
    );
    expect(() => resolveLossScaleOptions({dynamic: 1})).toThrow(
      'LossScaleOptimizer: dynamic must be a boolean; got 1 (number).',
    );
  });

  it('throws a TypeError for an unknown option, listing the allowed ones', () => {
    expect(() => resolveLossScaleOptions({initalScale: 8})).toThrow(
      `LossScaleOptimizer: unknown option 'initalScale'. Allowed: ${LOSS_SCALE_OPTION_NAMES.join(', ')}.`,
    );
  });

  it('throws a TypeError for both clipNorm and globalClipNorm', () => {
    expect(() => resolveLossScaleOptions({clipNorm: 1, globalClipNorm: 5})).toThrow(
      'LossScaleOptimizer: set clipNorm or globalClipNorm, not both; got clipNorm 1 and globalClipNorm 5.',
    );
  });

  it('takes the step modes and refuses others, listing the allowed ones', () => {
    for (const mode of LOSS_SCALE_MODES) expect(resolveLossScaleOptions({mode}).mode).toBe(mode);
    expect(() => resolveLossScaleOptions({mode: 'gpu'})).toThrow(TypeError);
    expect(() => resolveLossScaleOptions({mode: 'gpu'})).toThrow(
      "LossScaleOptimizer: unknown mode 'gpu'. Allowed: auto, device, sync.",
    );
  });

  it('throws a TypeError when options is not an object', () => {
    expect(() => resolveLossScaleOptions(5)).toThrow(
      'LossScaleOptimizer: options must be an object of LossScaleOptions; got 5.',
    );
  });
});
