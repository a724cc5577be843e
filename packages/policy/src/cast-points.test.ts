import {describe, expect, it} from 'vitest';
import {planCastPoints} from './cast-points.js';
import {KEEP_FLOAT32_LAYERS} from './keep-float32.js';
import {Policy} from './policy.js';

const mixed16 = {policy: new Policy('mixed_float16'), reason: 'default'} as const;
const pure16 = {policy: new Policy('float16'), reason: 'default'} as const;
const dense = {name: 'dense_1', className: 'Dense', activation: 'relu'};

describe('planCastPoints', () => {
  it('rounds inputs, weights and outputs of an ordinary layer to the compute format', () => {
    expect(planCastPoints(dense, mixed16, undefined, KEEP_FLOAT32_LAYERS)).toEqual({
      policy: 'mixed_float16',
      computeFormat: 'float16',
      variableFormat: 'float32',
      outputFormat: 'float16',
      roundInputs: true,
      roundWeights: true,
      roundOutputs: true,
      selectsValues: false,
      reason: 'default',
    });
  });

  it('stores variables in the compute format under a pure policy', () => {
    const plan = planCastPoints(dense, pure16, undefined, KEEP_FLOAT32_LAYERS);
    expect([plan.policy, plan.variableFormat]).toEqual(['float16', 'float16']);
  });

  it('never rounds Embedding and CategoryEncoding inputs (indices)', () => {
    for (const className of ['Embedding', 'CategoryEncoding']) {
      const plan = planCastPoints({name: 'e', className, activation: null}, mixed16, undefined, []);
      expect([plan.roundInputs, plan.roundWeights, plan.roundOutputs]).toEqual([false, true, true]);
    }
  });

  it('keeps a BatchNormalization layer entirely in float32, variables included', () => {
    const plan = planCastPoints(
      {name: 'bn', className: 'BatchNormalization', activation: null},
      pure16,
      undefined,
      KEEP_FLOAT32_LAYERS,
    );
    expect(plan).toMatchObject({
      policy: 'float32',
      computeFormat: 'float32',
      variableFormat: 'float32',
      roundInputs: false,
      roundWeights: false,
      roundOutputs: false,
      reason: 'kept-float32',
    });
  });

  it('keeps a softmax output in float32 while rounding inputs and weights', () => {
    const plan = planCastPoints(
      {...dense, activation: 'softmax'},
      mixed16,
      undefined,
      KEEP_FLOAT32_LAYERS,
    );
    expect(plan).toMatchObject({
      policy: 'mixed_float16',
      computeFormat: 'float16',
      outputFormat: 'float32',
      roundInputs: true,
      roundWeights: true,
      roundOutputs: false,
      reason: 'kept-float32',
    });
  });

  it('marks layers that only select values, whose output cast is free forward', () => {
    const pool = {name: 'p', className: 'MaxPooling2D', activation: null};
    expect(planCastPoints(pool, mixed16, undefined, []).selectsValues).toBe(true);
    expect(planCastPoints(dense, mixed16, undefined, []).selectsValues).toBe(false);
  });

  it('lets an override win over keep-float32 rules', () => {
    const bn = {name: 'bn', className: 'BatchNormalization', activation: null};
    const plan = planCastPoints(bn, mixed16, new Policy('mixed_bfloat16'), KEEP_FLOAT32_LAYERS);
    expect([plan.policy, plan.computeFormat, plan.reason]).toEqual([
      'mixed_bfloat16',
      'bfloat16',
      'override',
    ]);
    const off = planCastPoints(dense, mixed16, new Policy('float32'), KEEP_FLOAT32_LAYERS);
    expect([off.roundInputs, off.roundWeights, off.roundOutputs, off.reason]).toEqual([
      false,
      false,
      false,
      'override',
    ]);
  });

  it('rounds nothing under float32 and ignores keep rules there', () => {
    const plan = planCastPoints(
      {...dense, activation: 'softmax'},
      {policy: new Policy('float32'), reason: 'default'},
      undefined,
      KEEP_FLOAT32_LAYERS,
    );
    expect([plan.roundInputs, plan.roundWeights, plan.roundOutputs, plan.reason]).toEqual([
      false,
      false,
      false,
      'default',
    ]);
  });

  it('passes an inherited override reason down to layers of an overridden model', () => {
    const plan = planCastPoints(
      dense,
      {policy: new Policy('mixed_bfloat16'), reason: 'override'},
      undefined,
      [],
    );
    expect([plan.computeFormat, plan.reason]).toEqual(['bfloat16', 'override']);
  });
});
