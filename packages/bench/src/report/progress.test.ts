import {describe, expect, it} from 'vitest';
import {fakeRun} from '../../test/support.js';
import type {ProgressEvent} from '../train/train-group.js';
import {createProgress} from './progress.js';

function step(epoch: number, groupStep: number): ProgressEvent {
  return {
    kind: 'step',
    workload: 'mlp',
    scenario: 'default',
    variant: 'mixed_float16',
    epoch,
    epochs: 2,
    groupStep,
    groupSteps: 4,
    event: {step: groupStep - 1, loss: 0.5, lossScale: 32768, stepMs: 12.5},
  };
}

describe('createProgress', () => {
  it('prints one line per epoch and per finished run when not on a terminal', () => {
    let out = '';
    const p = createProgress({stream: {write: (t: string) => (out += t)}, live: false});
    p({kind: 'workload', workload: 'mlp', index: 0, total: 2});
    p(step(0, 1));
    p(step(0, 2));
    p(step(1, 3));
    p({kind: 'run-done', run: fakeRun({policy: 'mixed_float16', medianMs: 12})});
    expect(out.split('\n')).toEqual([
      '[1/2] mlp: loading data, training…',
      '  mlp: epoch 1/2',
      '  mlp: epoch 2/2',
      '  ✓ mlp mixed_float16: 95.00% held-out, 12.00 ms/step (1.20× float32)',
      '',
    ]);
  });

  it('redraws one status line on a terminal, throttled, and clears it', () => {
    let out = '';
    const p = createProgress({
      stream: {write: (t: string) => (out += t), isTTY: true},
      intervalMs: 60_000,
    });
    p(step(0, 1));
    p(step(0, 2)); // within the interval: not drawn
    p(step(1, 4)); // the last step always is
    expect(out.split('\r\x1b[2K')).toHaveLength(3);
    expect(out).toContain(
      'mlp · epoch 1/2 ·  25% · mixed_float16 step 1 · loss 0.5000 · scale 32768 · 12.5 ms',
    );
    p.done();
    expect(out.endsWith('\r\x1b[2K')).toBe(true);
  });
});
