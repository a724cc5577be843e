// Native outputs live in 16 bits until float32 code reads them.
import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectBitsEqual} from '@tfjs-amp/test-utils';
import {expect, it} from 'vitest';
import {decode, nativeMemory, quantize, withComputeFormat} from '../../src/index.js';
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

  it('while tfjs computes gradients, float32 ops read a 16-bit tensor through copies of their own', () => {
    const a = tf.tensor2d(values(64 * 32, 7, 'bfloat16'), [64, 32]);
    const b = tf.tensor2d(values(32 * 48, 8, 'bfloat16'), [32, 48]);
    tf.tidy(() => [a, b].map((t) => t.add(0))); // give a and b their handles
    const start = {handles: nativeHandles(), memory: nativeMemory()};
    let during: number[] = [];
    const loss = (w: tf.Tensor) => {
      const c = withComputeFormat('bfloat16', () => tf.matMul(a, w));
      // Three float32 reads of the native output c (as a batch norm reads its input): each gets
      // a float32 copy made for it and deleted after it, so c stays 16-bit.
      const centred = tf.sub(c, tf.mean(c));
      const scaled = tf.mul(centred, c);
      during = [nativeMemory().deferredBytes - start.memory.deferredBytes];
      return tf.sum(scaled);
    };
    const [dw] = tf.grads(loss)([b]);
    expect(during).toEqual([4 * 64 * 48]);
    // The same arithmetic on float32 data: the reads were exact.
    const want = tf.tidy(() => {
      const [g] = tf.grads((w: tf.Tensor) => {
        const c = tf.clone(withComputeFormat('bfloat16', () => tf.matMul(a, w)));
        c.dataSync(); // float32 data for good
        return tf.sum(tf.mul(tf.sub(c, tf.mean(c)), c));
      })([b]);
      return g!;
    });
    expectBitsEqual(dw!.dataSync() as Float32Array, want.dataSync() as Float32Array, 'dw');
    tf.dispose([dw!, want]);
    // No copy outlives its op, nor any 16-bit handle its tensor.
    tf.dispose(tf.add(a, 0)); // the next op deletes the last op's copies
    expect(nativeMemory().deferredBytes).toBe(start.memory.deferredBytes);
    expect(nativeHandles()).toBe(start.handles + nativeMemory().handles - start.memory.handles);
    tf.dispose([a, b]);
  });

  for (const format of ['float16', 'bfloat16'] as const) {
    it(`runs relu on a ${format} tensor in 16 bits: every one of the 65536 values as float32 relu`, () => {
      const bits = new Uint16Array(65536).map((_, i) => i);
      const x = tf.tensor1d(decode(bits, format));
      // Once first, so the dispatch's probe runs before the spy.
      tf.dispose(withComputeFormat(format, () => tf.relu(quantize(tf.ones([1]), format))));
      const spy = new OpSpy();
      try {
        const rounded = quantize(x, format);
        const y = withComputeFormat(format, () => tf.relu(rounded));
        expect(spy.nativeOps(format)).toEqual(['Relu']);
        expect(nativeMemory().deferredBytes).toBeGreaterThanOrEqual(2 * 4 * 65536);
        // tfjs-node's float32 relu of the same values: bit for bit (NaN and its payload, the
        // infinities, subnormals as TF flushes them) except the sign of a zero, which TF's
        // float32 kernel itself sets by the element's position in its vector loop.
        const want = tf.relu(tf.tensor1d(rounded.dataSync() as Float32Array));
        const got = y.dataSync() as Float32Array;
        const ref = want.dataSync() as Float32Array;
        const zeroSign = (v: Float32Array) => v.map((e) => (e === 0 ? 0 : e));
        expectBitsEqual(zeroSign(got), zeroSign(ref), format);
        // Every negative value (the -0 and the subnormals among them) gives a zero.
        for (let i = 0x8000; i < 0x10000; i++) {
          if (!Number.isNaN(ref[i]!)) expect(got[i] === 0, `bits ${i.toString(16)}`).toBe(true);
        }
        // Outside a compute-format context, tfjs-node's float32 kernel.
        spy.records.length = 0;
        const outside = tf.relu(quantize(x, format));
        expect(spy.halfOps()).toEqual([]);
        tf.dispose([rounded, y, want, outside]);
      } finally {
        spy.restore();
      }
      x.dispose();
    });
  }

  it('casts a tensor to its own dtype with no op: the same data, still 16-bit if it was', () => {
    const x = tf.tensor2d(values(8 * 4, 9, 'bfloat16'), [8, 4]);
    const w = tf.tensor2d(values(4 * 4, 10, 'bfloat16'), [4, 4]);
    const c = withComputeFormat('bfloat16', () => tf.matMul(x, w));
    const deferred = nativeMemory().deferredBytes;
    const spy = new OpSpy();
    try {
      const same = tf.cast(c, 'float32');
      expect(spy.calls).toEqual([]);
      expect(same.dataId).toBe(c.dataId);
      expect(nativeMemory().deferredBytes).toBe(deferred);
      c.dispose(); // the data lives on with `same`
      expectBitsEqual(
        same.dataSync() as Float32Array,
        tf.tidy(() => quantize(tf.matMul(x, w), 'bfloat16')).dataSync() as Float32Array,
        'cast',
      );
      spy.records.length = 0;
      const ints = tf.cast(same, 'int32');
      expect(spy.calls.map((call) => call.op)).toEqual(['Cast']);
      tf.dispose([same, ints]);
    } finally {
      spy.restore();
    }
    tf.dispose([x, w]);
  });
});
