import * as tf from '@tensorflow/tfjs';
import type {Scalar, Variable} from '@tensorflow/tfjs';
import {describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {applyWhereFinite} from './apply-where-finite.js';

describe('applyWhereFinite', () => {
  describeBackends(['cpu', 'wasm'], () => {
    it('keeps the new values when finite, the old bits otherwise (NaN and -0 included)', async () => {
      const v = tf.variable(tf.tensor1d([1, -0, 3]), true, `awf/v/${tf.getBackend()}`);
      const s = tf.variable(tf.scalar(5), false, `awf/s/${tf.getBackend()}`);
      const step = (x: number) => () =>
        tf.tidy(() => {
          v.assign(tf.add(v, x));
          v.assign(tf.mul(v, 2)); // assigned twice: the first old value is kept
          s.assign(tf.scalar(x));
        });
      await expectNoLeaks(() => {
        const no = tf.scalar(false, 'bool') as Scalar;
        applyWhereFinite(step(Number.NaN), no);
        no.dispose();
      });
      expectBitsEqual(v.dataSync() as Float32Array, new Float32Array([1, -0, 3]), 'skipped v');
      expect(s.dataSync()[0]).toBe(5);
      const yes = tf.scalar(true, 'bool') as Scalar;
      applyWhereFinite(step(1), yes);
      yes.dispose();
      expect(Array.from(v.dataSync())).toEqual([4, 2, 8]);
      expect(s.dataSync()[0]).toBe(1);
      tf.dispose([v, s]);
    });

    it('restores every assigned variable when apply throws, and stops recording', () => {
      const v = tf.variable(tf.tensor1d([1, 2]), true, `awf/throw/${tf.getBackend()}`);
      const yes = tf.scalar(true, 'bool') as Scalar;
      expect(() =>
        applyWhereFinite(() => {
          v.assign(tf.tensor1d([7, 7]));
          throw new Error('boom');
        }, yes),
      ).toThrow('boom');
      expect(Array.from(v.dataSync())).toEqual([1, 2]);
      v.assign(tf.tensor1d([3, 3])); // the prototype is restored
      expect(Array.from(v.dataSync())).toEqual([3, 3]);
      tf.dispose([v, yes]);
    });

    it('leaves a variable created during a skipped step at its initial value', () => {
      let created: Variable | null = null;
      const no = tf.scalar(false, 'bool') as Scalar;
      applyWhereFinite(() => {
        created = tf.variable(tf.zeros([2]), false, `awf/slot/${tf.getBackend()}`);
        created.assign(tf.tensor1d([Number.NaN, 1]));
      }, no);
      expect(Array.from(created!.dataSync())).toEqual([0, 0]);
      tf.dispose([created!, no]);
    });
  });
});
