import * as tf from '@tensorflow/tfjs';
import {NativeOpSpy, describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {expect, it} from 'vitest';
import {nativeMemory, quantize, relu, setNativeDispatch, withComputeFormat} from '../index.js';

const bits = (t: tf.Tensor) => t.dataSync() as Float32Array;

describeBackends(['cpu', 'wasm', 'tensorflow'], (backend) => {
  it("relu: tf.relu's values and gradient, bit for bit", async () => {
    const x = tf.tensor1d([-2, -0, 0, 1e-30, 0.5, 3, -1e-30, Number.POSITIVE_INFINITY, -7]);
    const dy = tf.tensor1d([1.5, -2, 3, -4, 5, -6, 7, -8, Number.POSITIVE_INFINITY]);
    tf.dispose(tf.add(x, dy)); // tfjs-node makes the handles on first use, not in the leak check
    const [y, dx] = await expectNoLeaks(
      () => tf.tidy(() => [relu(x), tf.grad((t: tf.Tensor) => relu(t))(x, dy)]),
      2,
    );
    const [wantY, wantDx] = tf.tidy(() => [
      tf.relu(x),
      tf.grad((t: tf.Tensor) => tf.relu(t))(x, dy),
    ]);
    expectBitsEqual(bits(y!), bits(wantY!), `${backend} y`);
    expectBitsEqual(bits(dx!), bits(wantDx!), `${backend} dx`);
    tf.dispose([x, dy, y!, dx!, wantY!, wantDx!]);
  });

  it('relu: the gradient where x is NaN is 0 on tfjs-node (TF ReluGrad), NaN elsewhere', () => {
    const x = tf.tensor1d([Number.NaN, 1]);
    const dx = tf.grad((t: tf.Tensor) => relu(t))(x, tf.tensor1d([2, 3]));
    const [atNaN, atOne] = bits(dx);
    expect(atOne).toBe(3);
    if (backend === 'tensorflow') expect(atNaN).toBe(0);
    else expect(atNaN).toBeNaN();
    tf.dispose([x, dx]);
  });

  it('relu rejects what is not a float32 tensor, naming it', () => {
    const ints = tf.tensor1d([1, -1], 'int32');
    expect(() => relu(ints)).toThrow(/relu.*x.*float32.*int32/);
    expect(() => relu([1, 2] as unknown as tf.Tensor)).toThrow(/relu.*x.*float32/);
    ints.dispose();
  });
});

describeBackends(['tensorflow'], () => {
  it('relu on 16-bit operands: its gradient is one ReluGrad in the format, held in 16 bits', () => {
    const previous = setNativeDispatch('all');
    const x = tf.randomNormal([64, 32], 0, 1, 'float32', 1);
    const dy = tf.randomNormal([64, 32], 0, 1, 'float32', 2);
    try {
      for (const format of ['float16', 'bfloat16'] as const) {
        const run = () =>
          tf.tidy(() => {
            // Rounded operands held in 16 bits, as a mixed layer's cast points make them.
            const [xq, dyq] = [quantize(x, format), quantize(dy, format)];
            const dx = tf.grad((t: tf.Tensor) => withComputeFormat(format, () => relu(t)))(xq, dyq);
            const deferred = nativeMemory().deferredBytes;
            return {dx, deferred};
          });
        tf.dispose(run().dx); // the probes run once, before the spy
        const spy = new NativeOpSpy();
        let result: {dx: tf.Tensor; deferred: number};
        try {
          result = run();
        } finally {
          spy.restore();
        }
        const grads = spy.records.filter((r) => r.op === 'ReluGrad');
        expect(grads, format).toHaveLength(1);
        expect(grads[0]!.dtype, format).toBe(format === 'float16' ? 19 : 14);
        expect(spy.records.filter((r) => ['Step', 'Mul', 'Greater'].includes(r.op))).toEqual([]);
        // The result is deferred too: held as its 16-bit copy while it lives.
        expect(result.deferred).toBeGreaterThanOrEqual(4 * 64 * 32);
        const want = tf.tidy(() => {
          const xq = tf.tensor(bits(quantize(x, format)), x.shape);
          const dyq = tf.tensor(bits(quantize(dy, format)), dy.shape);
          return tf.grad((t: tf.Tensor) => tf.relu(t))(xq, dyq);
        });
        expectBitsEqual(bits(result.dx), bits(want), format);
        tf.dispose([result.dx, want]);
      }
    } finally {
      setNativeDispatch(previous);
      tf.dispose([x, dy]);
    }
  });
});
