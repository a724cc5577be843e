// fusedMatMul's roundWeightTo option (ops/fused-mat-mul.ts and the tfjs-node kernel): the values
// of a cast point before the weight, and no rounded copy of it held between products.
import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {expect, it} from 'vitest';
import type {FormatName} from '../formats/format-spec.js';
import {
  type NativeDispatch,
  fusedMatMul,
  quantize,
  setNativeDispatch,
  trackTensorBytes,
  withComputeFormat,
} from '../index.js';

const bits = (t: tf.Tensor) => t.dataSync() as Float32Array;

type Args = Parameters<typeof fusedMatMul>[0];

/** `fusedMatMul(args)`'s value and its gradients for a, b and bias (a squared-sum loss). */
function valueAndGrads(run: (args: Args) => tf.Tensor, args: Args): tf.Tensor[] {
  const {a, b, bias} = args;
  const loss = (p: tf.Tensor, q: tf.Tensor, c: tf.Tensor) =>
    tf.sum(
      tf.square(run({...args, a: p as tf.Tensor2D, b: q as tf.Tensor2D, bias: c as tf.Tensor1D})),
    );
  return [run(args), ...tf.grads(loss)([a, b, bias!])];
}

/** The same product with the weight's cast point an op before it: `quantize(b, format)`. */
const castPointFirst =
  (format: FormatName) =>
  (args: Args): tf.Tensor =>
    fusedMatMul({...args, roundWeightTo: undefined, b: quantize(args.b, format)});

describeBackends(['cpu', 'wasm', 'tensorflow'], (backend) => {
  // tfjs-node also under the two dispatch extremes inside a compute-format context (a policy's
  // emulated layer, and every kernel native); elsewhere the context changes nothing.
  const modes: (NativeDispatch | null)[] =
    backend === 'tensorflow' ? [null, 'none', 'all'] : [null];

  it('roundWeightTo: the values and gradients of a cast point before b, bit for bit', async () => {
    const a = tf.randomNormal([6, 40], 0, 1, 'float32', 1) as tf.Tensor2D;
    const b = tf.randomNormal([40, 12], 0, 0.3, 'float32', 2) as tf.Tensor2D;
    const bias = tf.randomNormal([12], 0, 1, 'float32', 3) as tf.Tensor1D;
    // tfjs-node makes an input's handle on first use: before the leak check, not inside it.
    tf.dispose(fusedMatMul({a, b, bias}));
    for (const mode of modes) {
      const previous = setNativeDispatch(mode ?? 'auto');
      try {
        for (const format of ['float16', 'bfloat16'] as const) {
          const inContext = <T>(f: () => T): T =>
            mode == null ? f() : withComputeFormat(format, f);
          for (const activation of ['linear', 'relu'] as const) {
            const args: Args = {a, b, bias, activation, roundWeightTo: format};
            const what = `${format} ${activation} (${backend}, ${mode ?? 'no context'})`;
            const y = await expectNoLeaks(() => inContext(() => fusedMatMul(args)), 1);
            const got = inContext(() => valueAndGrads(fusedMatMul, args));
            const want = inContext(() => valueAndGrads(castPointFirst(format), args));
            expectBitsEqual(bits(y), bits(want[0]!), `${what} y`);
            for (const [i, name] of ['y', 'da', 'db', 'dbias'].entries()) {
              expectBitsEqual(bits(got[i]!), bits(want[i]!), `${what} ${name}`);
            }
            // b's gradient holds the format's values (the cast point rounds it).
            expectBitsEqual(bits(got[2]!), bits(quantize(got[2]!, format)), `${what} db rounded`);
            tf.dispose([y, ...got, ...want]);
          }
        }
      } finally {
        setNativeDispatch(previous);
      }
    }
    tf.dispose([a, b, bias]);
  });

  it('roundWeightTo rejects a name that is not a format, naming it', () => {
    const a = tf.ones([2, 3]) as tf.Tensor2D;
    const b = tf.ones([3, 2]) as tf.Tensor2D;
    expect(() => fusedMatMul({a, b, roundWeightTo: 'float17' as FormatName})).toThrow(
      /roundWeightTo.*float17|float17.*roundWeightTo/,
    );
    tf.dispose([a, b]);
  });
});

describeBackends(['tensorflow'], () => {
  it('roundWeightTo: no rounded copy of b outlives a product (TF tensor bytes)', () => {
    // b dominates: 256×256 float32 is 256 KiB, the activations 8×256 are 8 KiB.
    const a = tf.randomNormal([8, 256], 0, 1, 'float32', 1) as tf.Tensor2D;
    const b = tf.randomNormal([256, 256], 0, 0.1, 'float32', 2) as tf.Tensor2D;
    const bias = tf.zeros([256]) as tf.Tensor1D;
    const bBytes = 256 * 256 * 4;
    const previous = setNativeDispatch('none');
    try {
      const peak = (run: (args: Args) => tf.Tensor) => {
        const tracker = trackTensorBytes()!;
        const [y, ...g] = valueAndGrads(run, {a, b, bias});
        const {peakBytes} = tracker.stop();
        tf.dispose([y!, ...g]);
        return peakBytes;
      };
      const ours = peak((args) => fusedMatMul({...args, roundWeightTo: 'float16'}));
      const castFirst = peak(castPointFirst('float16'));
      // A cast point keeps the rounded b (float32) from the forward product to the backward one,
      // beside the gradient of b; roundWeightTo holds one transient copy at a time, and rounds
      // b's gradient with no float32 copy beside its rounded one.
      expect(ours).toBeLessThanOrEqual(castFirst - bBytes);
    } finally {
      setNativeDispatch(previous);
    }
    tf.dispose([a, b, bias]);
  });
});
