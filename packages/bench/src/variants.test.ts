import {describe, expect, it} from 'vitest';
import {defaultLossScaling, makeVariant} from './variants.js';

describe('defaultLossScaling', () => {
  it('scales the loss for float16 compute only, as Keras does', () => {
    expect(defaultLossScaling('mixed_float16')).toBe('dynamic');
    expect(defaultLossScaling('float16')).toBe('dynamic');
    expect(defaultLossScaling('mixed_bfloat16')).toBe('none');
    expect(defaultLossScaling('float32')).toBe('none');
  });
});

describe('makeVariant', () => {
  it('names the policy alone with its default loss scaling, and marks the ablation', () => {
    expect(makeVariant('mixed_float16')).toEqual({
      id: 'mixed_float16',
      policy: 'mixed_float16',
      lossScaling: 'dynamic',
      label: 'mixed_float16',
    });
    expect(makeVariant('mixed_float16', 'none')).toEqual({
      id: 'mixed_float16:no-loss-scaling',
      policy: 'mixed_float16',
      lossScaling: 'none',
      label: 'mixed_float16 (no loss scaling)',
    });
    expect(makeVariant('mixed_bfloat16', 'dynamic').id).toBe('mixed_bfloat16:loss-scaling');
  });
});
