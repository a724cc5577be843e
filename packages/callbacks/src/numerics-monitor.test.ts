import {describe, expect, it} from 'vitest';
import {type NumericsSample, numericsMonitor} from './numerics-monitor.js';

describe('NumericsMonitor.report', () => {
  it('says when there is no sample yet', () => {
    expect(numericsMonitor().report()).toBe('numericsMonitor: no sample yet.');
  });

  it('says when a skipped step overflowed outside what it measures', () => {
    const sample: NumericsSample = {
      epoch: 0,
      batch: 0,
      step: 0,
      lossScale: 2,
      skipped: true,
      layers: [],
      firstOverflow: null,
    };
    expect(numericsMonitor().report(sample).split('\n').at(-1)).toBe(
      'first overflow: none; the step was skipped: a weight gradient overflowed (not measured here)',
    );
  });

  it('prints one row per layer, shares in percent of the values, and the first overflow', () => {
    const sample: NumericsSample = {
      epoch: 1,
      batch: 50,
      step: 150,
      lossScale: 32768,
      skipped: true,
      layers: [
        {
          name: 'dense',
          className: 'Dense',
          format: 'float16',
          // 200 values: 2 underflow (1%), 1 subnormal (0.5%); max 32752 is 50.0% of 65504.
          activation: {
            size: 200,
            maxAbs: 32752,
            maxAbsRatio: 0.5,
            nan: 0,
            inf: 0,
            overflow: 0,
            underflow: 2,
            subnormal: 1,
            zero: 0,
          },
          gradient: {
            size: 200,
            maxAbs: 65504,
            maxAbsRatio: 1,
            nan: 1,
            inf: 3,
            overflow: 0,
            underflow: 0,
            subnormal: 0,
            zero: 0,
          },
        },
        {name: 'unused', className: 'Dense', format: 'float32', activation: null, gradient: null},
      ],
      firstOverflow: {layer: 'dense', tensor: 'gradient'},
    };
    expect(numericsMonitor().report(sample)).toBe(
      [
        'numericsMonitor: step 150 (epoch 1, batch 50), loss scale 32768',
        'layer   format   act max|x|  act %max  act underflow  act subnormal  act NaN/Inf/ovf  grad max|x|  grad %max  grad underflow  grad subnormal  grad NaN/Inf/ovf',
        'dense   float16  3.28e+4     50.0%     1.00%          0.500%         0/0/0            6.55e+4      100%       0.00%           0.00%           1/3/0',
        'unused  float32  -           -         -              -              -                -            -          -               -               -',
        "first overflow: layer 'dense' (gradient); the step was skipped",
      ].join('\n'),
    );
  });
});
