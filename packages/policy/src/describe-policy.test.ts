import * as tf from '@tensorflow/tfjs';
import {describe, expect, it} from 'vitest';
import {applyPolicy, removePolicy} from './apply-policy.js';
import {describePolicy} from './describe-policy.js';

function nestedModel(): tf.LayersModel {
  const inner = tf.sequential({
    name: 'block',
    layers: [
      tf.layers.dense({units: 4, inputShape: [3], name: 'block_dense'}),
      tf.layers.batchNormalization({name: 'block_bn'}),
    ],
  });
  const input = tf.input({shape: [3], name: 'features'});
  const rnnIn = tf.layers.reshape({targetShape: [2, 2], name: 'to_seq'});
  const lstm = tf.layers.lstm({units: 3, name: 'lstm'});
  const out = tf.layers.dense({units: 2, activation: 'softmax', name: 'probs'});
  const y = out.apply(
    lstm.apply(
      rnnIn.apply(inner.apply(input) as tf.SymbolicTensor) as tf.SymbolicTensor,
    ) as tf.SymbolicTensor,
  ) as tf.SymbolicTensor;
  return tf.model({inputs: input, outputs: y, name: 'net'});
}

describe('describePolicy', () => {
  it('lists every computing layer with its formats and the reason, nested models included', () => {
    const model = nestedModel();
    applyPolicy(model, 'mixed_float16', {overrides: {to_seq: 'mixed_bfloat16'}});
    const rows = describePolicy(model).map((r) => [
      r.path,
      r.className,
      r.computeFormat,
      r.variableFormat,
      r.outputFormat,
      r.reason,
      r.execution,
    ]);
    expect(rows).toEqual([
      ['net/block/block_dense', 'Dense', 'float16', 'float32', 'float16', 'default', 'emulated'],
      [
        'net/block/block_bn',
        'BatchNormalization',
        'float32',
        'float32',
        'float32',
        'kept-float32',
        'none',
      ],
      ['net/to_seq', 'Reshape', 'bfloat16', 'float32', 'bfloat16', 'override', 'emulated'],
      ['net/lstm', 'LSTM', 'float16', 'float32', 'float16', 'default', 'emulated'],
      ['net/probs', 'Dense', 'float16', 'float32', 'float32', 'kept-float32', 'emulated'],
    ]);
    removePolicy(model);
    model.dispose();
  });

  it('describes a model with no policy as plain float32', () => {
    const model = nestedModel();
    const rows = describePolicy(model);
    expect(rows).toHaveLength(5);
    for (const r of rows) {
      expect([r.computeFormat, r.variableFormat, r.outputFormat, r.reason, r.execution]).toEqual([
        'float32',
        'float32',
        'float32',
        'default',
        'none',
      ]);
    }
    model.dispose();
  });

  it('rejects something that is not a layer', () => {
    expect(() => describePolicy('model' as unknown as tf.LayersModel)).toThrow(
      "describePolicy: model must be a tfjs LayersModel or Layer; got 'model'.",
    );
  });
});
