import {describe, expect, it} from 'vitest';
import {KEEP_FLOAT32_LAYERS, matchKeepFloat32} from './keep-float32.js';

const dense = {name: 'dense_1', className: 'Dense', activation: 'relu'};

describe('matchKeepFloat32', () => {
  it('keeps whole layers by class name or layer name', () => {
    expect(
      matchKeepFloat32(
        {name: 'bn', className: 'BatchNormalization', activation: null},
        KEEP_FLOAT32_LAYERS,
      ),
    ).toBe('layer');
    expect(
      matchKeepFloat32(
        {name: 'ln', className: 'LayerNormalization', activation: null},
        KEEP_FLOAT32_LAYERS,
      ),
    ).toBe('layer');
    expect(matchKeepFloat32(dense, ['dense_1'])).toBe('layer');
    expect(matchKeepFloat32(dense, KEEP_FLOAT32_LAYERS)).toBeNull();
  });

  it('keeps only the output of layers with a softmax or logSoftmax activation', () => {
    expect(matchKeepFloat32({...dense, activation: 'softmax'}, KEEP_FLOAT32_LAYERS)).toBe('output');
    expect(
      matchKeepFloat32(
        {name: 'a', className: 'Activation', activation: 'logSoftmax'},
        KEEP_FLOAT32_LAYERS,
      ),
    ).toBe('output');
    expect(
      matchKeepFloat32({name: 's', className: 'Softmax', activation: null}, KEEP_FLOAT32_LAYERS),
    ).toBe('layer');
  });

  it('prefers a whole-layer match over an activation match', () => {
    expect(matchKeepFloat32({...dense, activation: 'softmax'}, ['dense_1', 'softmax'])).toBe(
      'layer',
    );
  });

  it('has a frozen, sorted default list', () => {
    expect(Object.isFrozen(KEEP_FLOAT32_LAYERS)).toBe(true);
    expect([...KEEP_FLOAT32_LAYERS].sort()).toEqual(KEEP_FLOAT32_LAYERS);
  });
});
