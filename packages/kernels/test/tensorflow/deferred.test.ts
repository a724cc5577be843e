// Native outputs live in 16 bits until float32 code reads them.
import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectBitsEqual} from '@tfjs-amp/test-utils';
import {expect, it} from 'vitest';
import {nativeMemory, quantize, withComputeFormat} from '../../src/index.js';
import {nativeHandles, OpSpy, useNativeDispatch, values} from './support.js';

describeBackends(['tensorflow'], () => {
  useNativeDispatch('all');

  it('keeps a native output as its 16-bit copy only, until float32 code reads it', () => {
    const a = tf.tensor2d(values(64 * 32, 1, 'bfloat16'), [64, 32]);
    const b = tf.tensor2d(values(32 * 48, 2, 'bfloat16'), [32, 48]);
    tf.tidy(() => [a, b].map((t) => t.add(0))); // give a and b their handles
    const start = {handles: nativeHandles(), memory: nativeMemory()};
    const c = withComputeFormat('bfloat16', () => tf.matMul(a, b));
    const d = withComputeFormat('bfloat16', () => tf.matMul(c, b, false, true));
    // c and d exist as 16-bit handles only (plus the casts of a and b): no float32 copy of c was
    // made for the second product, and tfjs's count includes float32 bytes that do not exist.
    const deferred = nativeMemory().deferredBytes - start.memory.deferredBytes;
    expect(deferred).toBe(4 * (64 * 48 + 64 * 32));
    // The same products with the first one read (materialized) before the second.
    const want = tf.tidy(() => {
      const c2 = withComputeFormat('bfloat16', () => tf.matMul(a, b));
      c2.dataSync();
      return withComputeFormat('bfloat16', () => tf.matMul(c2, b, false, true));
    });
    want.dataSync();
    // Reading materializes exactly (Cast widens 16 bits exactly) and frees the 16-bit copy.
    const before = nativeMemory().bytes;
    expectBitsEqual(d.dataSync() as Float32Array, want.dataSync() as Float32Array, 'd');
    expect(nativeMemory().bytes).toBe(before - 2 * 64 * 32);
    expect(nativeMemory().deferredBytes - start.memory.deferredBytes).toBe(4 * 64 * 48);
    tf.dispose([c, d, want]);
    // Disposing frees every 16-bit copy: back where we started.
    expect(nativeMemory().deferredBytes).toBe(start.memory.deferredBytes);
    expect(nativeHandles()).toBe(start.handles + nativeMemory().handles - start.memory.handles);
    tf.dispose([a, b]);
  });

  it('reshapes a deferred output in 16 bits and reads it exactly', () => {
    const a = tf.tensor2d(values(6 * 4, 3, 'float16'), [6, 4]);
    const b = tf.tensor2d(values(4 * 2, 4, 'float16'), [4, 2]);
    const c = withComputeFormat('float16', () => tf.matMul(a, b));
    const r = tf.reshape(c, [3, 4]);
    expect(nativeMemory().deferredBytes).toBeGreaterThanOrEqual(4 * 2 * 12);
    const want = tf.tidy(() => quantize(tf.matMul(a, b), 'float16').reshape([3, 4]));
    expectBitsEqual(r.dataSync() as Float32Array, want.dataSync() as Float32Array, 'reshaped');
    expectBitsEqual(
      c.dataSync() as Float32Array,
      (want.reshape([6, 2]) as tf.Tensor).dataSync() as Float32Array,
      'original',
    );
    tf.dispose([a, b, c, r, want]);
  });

  it('pools a native output in 16 bits, bit for bit as float32 pooling of the rounded values', () => {
    const x = tf.tensor4d(values(2 * 6 * 6 * 3, 5, 'bfloat16'), [2, 6, 6, 3]);
    const f = tf.tensor4d(values(3 * 3 * 3 * 4, 6, 'bfloat16'), [3, 3, 3, 4]);
    // Once first, so the dispatch's probes run before the spy.
    tf.dispose(
      withComputeFormat('bfloat16', () => tf.maxPool(tf.conv2d(x, f, 1, 'same'), 2, 2, 'valid')),
    );
    const spy = new OpSpy();
    try {
      const [y, pooled] = withComputeFormat('bfloat16', () => {
        const conv = tf.conv2d(x, f, 1, 'same');
        return [conv, tf.maxPool(conv, 2, 2, 'valid')];
      });
      expect(spy.nativeOps('bfloat16')).toEqual(['Conv2D', 'MaxPool']);
      const want = tf.maxPool(tf.clone(y!) as tf.Tensor4D, 2, 2, 'valid');
      expectBitsEqual(pooled!.dataSync() as Float32Array, want.dataSync() as Float32Array, 'pool');
      tf.dispose([y!, pooled!, want]);
    } finally {
      spy.restore();
    }
    tf.dispose([x, f]);
  });
});
