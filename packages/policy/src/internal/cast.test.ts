import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectNoLeaks} from '@tfjs-amp/test-utils';
import {expect, it} from 'vitest';
import {castTo} from './cast.js';

// 1 + 2^-10 is not a bfloat16 (8 significant bits): it rounds to 1.
const OFF_GRID = 1 + 2 ** -10;

/** An identity whose gradient calls `onGradient(dy)` and passes on what it returns. */
function spy(onGradient: (dy: tf.Tensor) => tf.Tensor): (x: tf.Tensor) => tf.Tensor {
  return tf.customGrad((x, _save) => ({
    value: tf.clone(x as tf.Tensor),
    gradFunc: (dy) => onGradient(dy as tf.Tensor),
  })) as (x: tf.Tensor) => tf.Tensor;
}

describeBackends(['cpu', 'tensorflow'], () => {
  it('frees the float32 gradient it rounds as soon as it has rounded it', async () => {
    await expectNoLeaks(freesTheGradient);
  });

  async function freesTheGradient(): Promise<void> {
    const x = tf.tensor1d([2, 3]);
    let reaching: tf.Tensor | null = null;
    let freedBeforeUpstream: boolean | null = null;
    const below = spy((dy) => {
      reaching = tf.mul(dy, OFF_GRID);
      return reaching;
    });
    const above = spy((dy) => {
      freedBeforeUpstream = reaching!.isDisposed;
      return tf.clone(dy);
    });
    const [dx] = tf.grads((t: tf.Tensor) => tf.sum(below(castTo(above(t), 'bfloat16'))))([x]);
    // The gradient the cast received (1 + 2^-10 each) was spent by the time the next node up
    // ran; what reached it was rounded to bfloat16.
    expect(freedBeforeUpstream).toBe(true);
    expect(Array.from(await dx!.data())).toEqual([1, 1]);
    tf.dispose([x, dx!]);
  }

  it("leaves a dy the caller passed in alone, and the forward pass's tensors", async () => {
    await expectNoLeaks(leavesOthers);
  });

  async function leavesOthers(): Promise<void> {
    const x = tf.tensor1d([2, 3]);
    const dy = tf.tensor1d([OFF_GRID, -OFF_GRID]);
    const [dx] = tf.grads((t: tf.Tensor) => castTo(t, 'bfloat16'))([x], dy);
    expect(dy.isDisposed).toBe(false);
    expect(Array.from(await dy.data())).toEqual([OFF_GRID, -OFF_GRID]);
    expect(Array.from(await dx!.data())).toEqual([1, -1]);
    // A gradient function that hands on a forward tensor as the cast's gradient.
    let handedOn: tf.Tensor | null = null;
    const handsOn = tf.customGrad((t, save) => {
      (save as (ts: tf.Tensor[]) => void)([tf.mul(t as tf.Tensor, OFF_GRID)]);
      return {
        value: tf.clone(t as tf.Tensor),
        gradFunc: (_dy, saved) => {
          handedOn = (saved as tf.Tensor[])[0]!;
          return handedOn;
        },
      };
    }) as (t: tf.Tensor) => tf.Tensor;
    let seen: number[] = [];
    const after = spy((g) => {
      seen = Array.from(handedOn!.dataSync());
      return tf.clone(g);
    });
    const [dx2] = tf.grads((t: tf.Tensor) => tf.sum(handsOn(castTo(after(t), 'bfloat16'))))([x]);
    expect(seen).toEqual([2 * OFF_GRID, 3 * OFF_GRID]);
    expect(Array.from(await dx2!.data())).toEqual([2, 3]);
    // A gradient someone keeps (tf.keep) outlives the backward pass.
    let kept: tf.Tensor | null = null;
    const keeps = spy((g) => {
      kept = tf.keep(tf.mul(g, OFF_GRID));
      return kept;
    });
    const [dx3] = tf.grads((t: tf.Tensor) => tf.sum(keeps(castTo(t, 'bfloat16'))))([x]);
    expect(kept!.isDisposed).toBe(false);
    expect(Array.from(await kept!.data())).toEqual([OFF_GRID, OFF_GRID]);
    expect(Array.from(await dx3!.data())).toEqual([1, 1]);
    tf.dispose([x, dy, dx!, dx2!, dx3!, kept!]);
  }

  it('keeps the gradient while an outer tape records the backward pass (second derivatives)', async () => {
    const x = tf.tensor1d([OFF_GRID, 3]);
    // d/dx of d/dx sum(round(x)²) with straight-through rounding: d/dx 2·round(x) = 2.
    const inner = (t: tf.Tensor) =>
      tf.grad((u: tf.Tensor) => tf.sum(tf.square(castTo(tf.mul(u, 1), 'bfloat16'))))(t);
    // Once before counting: the first run makes one-time native state (the cast probes).
    tf.grad((t: tf.Tensor) => tf.sum(inner(t)))(x).dispose();
    await expectNoLeaks(async () => {
      const dx = tf.grad((t: tf.Tensor) => tf.sum(inner(t)))(x);
      expect(Array.from(await dx.data())).toEqual([2, 2]);
      dx.dispose();
    });
    x.dispose();
  });
});
