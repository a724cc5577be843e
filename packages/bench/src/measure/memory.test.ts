import * as tf from '@tensorflow/tfjs';
import {nativeMemory, setNativeDispatch, withComputeFormat} from '@tfjs-amp/kernels';
import {describeBackends} from '@tfjs-amp/test-utils';
import {expect, it} from 'vitest';
import {profileStep} from './memory.js';

describeBackends(['tensorflow'], () => {
  it("counts a step's own native 16-bit copies, not those of tensors that outlive it", async () => {
    const previous = setNativeDispatch('all');
    try {
      // A long-lived tensor with a 16-bit copy (as another variant's initial weights keep one).
      const w = tf.randomNormal([64, 64], 0, 1, 'float32', 1);
      const x = tf.randomNormal([8, 64], 0, 1, 'float32', 2);
      tf.dispose(withComputeFormat('bfloat16', () => tf.matMul(x, w)));
      expect(nativeMemory().bytes).toBeGreaterThanOrEqual(2 * 64 * 64);
      const idle = await profileStep(async () => tf.dispose(tf.add(x, 1)));
      expect(idle.nativePeakBytes).toBe(0);
      // A step that casts a new tensor counts its copies.
      const busy = await profileStep(async () => {
        const y = tf.randomNormal([8, 64], 0, 1, 'float32', 3);
        tf.dispose([y, withComputeFormat('bfloat16', () => tf.matMul(y, w))]);
      });
      expect(busy.nativePeakBytes).toBeGreaterThanOrEqual(2 * 8 * 64);
      tf.dispose([w, x]);
    } finally {
      setNativeDispatch(previous);
    }
  });
});
