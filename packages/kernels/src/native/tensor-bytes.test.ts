import * as tf from '@tensorflow/tfjs';
import {describeBackends} from '@tfjs-amp/test-utils';
import {expect, it} from 'vitest';
import {setNativeDispatch, trackTensorBytes, withComputeFormat} from '../index.js';

describeBackends(['cpu'], () => {
  it('trackTensorBytes is null where the backend is not tfjs-node', () => {
    expect(trackTensorBytes()).toBeNull();
  });
});

describeBackends(['tensorflow'], () => {
  it('counts every TF tensor from creation to deletion, 16-bit ones at 2 bytes', () => {
    const x = tf.ones([64, 32]);
    const w = tf.ones([32, 16]);
    tf.dispose(tf.add(x, w.sum())); // handles for x and w exist before tracking
    const binding = (tf.backend() as unknown as {binding: unknown}).binding;
    const tracker = trackTensorBytes()!;
    expect((tf.backend() as unknown as {binding: unknown}).binding).not.toBe(binding);
    const y = tf.mul(x, x); // one float32 [64, 32] output
    expect(tracker.read()).toEqual({liveBytes: 64 * 32 * 4, peakBytes: 64 * 32 * 4});
    y.dispose();
    expect(tracker.read()).toEqual({liveBytes: 0, peakBytes: 64 * 32 * 4});
    tf.dispose(x.add(1)); // freed again: the peak stays
    const previous = setNativeDispatch('all');
    try {
      // A native bfloat16 product: 16-bit copies of x and w and a 16-bit result, beside the
      // float32 [64, 16] the caller reads.
      const z = withComputeFormat('bfloat16', () => tf.matMul(x, w));
      z.dataSync();
      const {liveBytes} = tracker.read();
      expect(liveBytes).toBeGreaterThanOrEqual(64 * 16 * 4);
      expect(liveBytes % 2).toBe(0);
      z.dispose();
    } finally {
      setNativeDispatch(previous);
    }
    // The cast cache keeps x's and w's 16-bit copies until they go; x and w themselves were made
    // before tracking and never counted.
    tf.dispose([x, w]);
    const stopped = tracker.stop();
    expect(stopped.liveBytes).toBe(0);
    expect(tracker.stop()).toEqual(stopped);
    expect((tf.backend() as unknown as {binding: unknown}).binding).toBe(binding);
  });

  it('counts a buffer once however many views share it (Reshape, same-type Cast)', () => {
    const x = tf.ones([64, 32]);
    tf.neg(x).dispose(); // x's handle exists before tracking
    const tracker = trackTensorBytes()!;
    const bytes = 64 * 32 * 4;
    const y = tf.neg(x);
    const views = [tf.reshape(y, [32, 64]), tf.cast(y, 'float32'), tf.expandDims(y, 0)];
    expect(tracker.read().liveBytes).toBe(bytes);
    y.dispose();
    tf.dispose(views.slice(0, 2));
    expect(tracker.read().liveBytes).toBe(bytes); // the last view still holds the buffer
    views[2]!.dispose();
    // A view of a tensor made before tracking is not counted either; a copy is.
    const view = tf.reshape(x, [32, 64]);
    const copy = tf.neg(x);
    const {liveBytes, peakBytes} = tracker.stop();
    expect(liveBytes).toBe(bytes);
    // The reshape's int32 shape vector aside, never a second copy.
    expect(peakBytes).toBeLessThan(bytes + 64);
    tf.dispose([x, view, copy]);
  });

  it("does not count a resource variable's reads: they share its buffer (ReadVariableOp)", () => {
    // The backend's binding now: trackTensorBytes swaps in a counting one while it runs.
    // biome-ignore lint/suspicious/noExplicitAny: the addon's untyped functions
    const binding = (): Record<string, any> =>
      (tf.backend() as unknown as {binding: Record<string, never>}).binding;
    const b = binding();
    const shape = [64, 32];
    const f32 = {name: 'dtype', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT};
    const [handle] = b.executeOp(
      'VarHandleOp',
      [
        {name: 'container', type: b.TF_ATTR_STRING, value: ''},
        {name: 'shared_name', type: b.TF_ATTR_STRING, value: `tensor_bytes_test_${process.pid}`},
        f32,
        {name: 'shape', type: b.TF_ATTR_SHAPE, value: shape},
      ],
      [],
      1,
    );
    const value = b.createTensor(shape, b.TF_FLOAT, new Float32Array(64 * 32).fill(2));
    b.executeOp('AssignVariableOp', [f32], [handle.id, value], 0);
    b.deleteTensor(value);
    const tracker = trackTensorBytes()!;
    const [read] = binding().executeOp('ReadVariableOp', [f32], [handle.id], 1);
    expect(read.shape).toEqual(shape);
    expect(tracker.read().liveBytes).toBe(0);
    // A computation on the read allocates, and is counted.
    const [neg] = binding().executeOp(
      'Neg',
      [{name: 'T', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT}],
      [read.id],
      1,
    );
    expect(tracker.read().liveBytes).toBe(64 * 32 * 4);
    binding().deleteTensor(read.id);
    binding().deleteTensor(neg.id);
    const {liveBytes, peakBytes} = tracker.stop();
    expect(liveBytes).toBe(0);
    expect(peakBytes).toBe(64 * 32 * 4);
    b.executeOp(
      'DestroyResourceOp',
      [{name: 'ignore_lookup_error', type: b.TF_ATTR_BOOL, value: false}],
      [handle.id],
      0,
    );
    b.deleteTensor(handle.id);
  });
});
