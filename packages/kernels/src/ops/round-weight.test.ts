// The fused ops' roundWeightTo and roundInputTo options (ops/fused-mat-mul.ts, ops/fused-conv2d.ts
// and their tfjs-node kernels): the values of a cast point before the weight or the input, and no
// rounded copy of the weight, nor float32 gradient of the input, held between products.
import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {expect, it} from 'vitest';
import type {FormatName} from '../formats/format-spec.js';
import {
  type NativeDispatch,
  fusedConv2d,
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
  /** Runs `body` for each mode and format, in that format's context where the mode is set. */
  const eachCase = async (
    body: (
      format: 'float16' | 'bfloat16',
      where: string,
      inContext: <T>(f: () => T) => T,
    ) => Promise<void>,
  ) => {
    for (const mode of modes) {
      const previous = setNativeDispatch(mode ?? 'auto');
      try {
        for (const format of ['float16', 'bfloat16'] as const) {
          const inContext = <T>(f: () => T): T =>
            mode == null ? f() : withComputeFormat(format, f);
          await body(format, `${format} (${backend}, ${mode ?? 'no context'})`, inContext);
        }
      } finally {
        setNativeDispatch(previous);
      }
    }
  };

  it('roundWeightTo: the values and gradients of a cast point before b, bit for bit', async () => {
    const a = tf.randomNormal([6, 40], 0, 1, 'float32', 1) as tf.Tensor2D;
    const b = tf.randomNormal([40, 12], 0, 0.3, 'float32', 2) as tf.Tensor2D;
    const bias = tf.randomNormal([12], 0, 1, 'float32', 3) as tf.Tensor1D;
    // tfjs-node makes an input's handle on first use: before the leak check, not inside it.
    tf.dispose(fusedMatMul({a, b, bias}));
    await eachCase(async (format, where, inContext) => {
      for (const activation of ['linear', 'relu'] as const) {
        const args: Args = {a, b, bias, activation, roundWeightTo: format};
        const what = `${activation} ${where}`;
        const y = await expectNoLeaks(() => inContext(() => fusedMatMul(args)), 1);
        const got = inContext(() => valueAndGrads(fusedMatMul, args));
        const want = inContext(() => valueAndGrads(castPointFirst(format), args));
        expectBitsEqual(bits(y), bits(want[0]!), `${what} y`);
        for (const [k, name] of ['y', 'da', 'db', 'dbias'].entries()) {
          expectBitsEqual(bits(got[k]!), bits(want[k]!), `${what} ${name}`);
        }
        // b's gradient holds the format's values (the cast point rounds it).
        expectBitsEqual(bits(got[2]!), bits(quantize(got[2]!, format)), `${what} db rounded`);
        tf.dispose([y, ...got, ...want]);
      }
    });
    tf.dispose([a, b, bias]);
  });

  it('fusedConv2d roundWeightTo: a cast point before the filter, bit for bit', async () => {
    const x = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const filter = tf.randomNormal([3, 3, 3, 5], 0, 0.3, 'float32', 5) as tf.Tensor4D;
    const bias = tf.randomNormal([5], 0, 1, 'float32', 6) as tf.Tensor1D;
    tf.dispose(fusedConv2d({x, filter, bias, strides: 1, pad: 'same'}));
    type ConvArgs = Parameters<typeof fusedConv2d>[0];
    // Value and gradients, with `prepare` applied to the filter inside the loss.
    const run = (args: ConvArgs, prepare: (f: tf.Tensor) => tf.Tensor = (f) => f) => {
      const loss = (p: tf.Tensor, q: tf.Tensor, c: tf.Tensor) =>
        tf.sum(
          tf.square(
            fusedConv2d({
              ...args,
              x: p as tf.Tensor4D,
              filter: prepare(q) as tf.Tensor4D,
              bias: c as tf.Tensor1D,
            }),
          ),
        );
      return [
        tf.tidy(() => fusedConv2d({...args, filter: prepare(filter) as tf.Tensor4D})),
        ...tf.grads(loss)([x, filter, bias]),
      ];
    };
    await eachCase(async (format, where, inContext) => {
      for (const [strides, pad] of [
        [1, 'same'],
        [2, 'valid'],
      ] as const) {
        const args: ConvArgs = {x, filter, bias, strides, pad, activation: 'relu'};
        const what = `${strides} ${pad} ${where}`;
        const y = await expectNoLeaks(
          () => inContext(() => fusedConv2d({...args, roundWeightTo: format})),
          1,
        );
        const got = inContext(() => run({...args, roundWeightTo: format}));
        const want = inContext(() => run(args, (f) => quantize(f, format)));
        expectBitsEqual(bits(y), bits(want[0]!), `${what} y`);
        for (const [k, name] of ['y', 'dx', 'dfilter', 'dbias'].entries()) {
          expectBitsEqual(bits(got[k]!), bits(want[k]!), `${what} ${name}`);
        }
        tf.dispose([y, ...got, ...want]);
      }
    });
    tf.dispose([x, filter, bias]);
  });

  it('roundInputTo: the values and gradients of a cast point before a (and b), bit for bit', async () => {
    const a = tf.randomNormal([6, 40], 0, 1, 'float32', 7) as tf.Tensor2D;
    const b = tf.randomNormal([40, 12], 0, 0.3, 'float32', 8) as tf.Tensor2D;
    const bias = tf.randomNormal([12], 0, 1, 'float32', 9) as tf.Tensor1D;
    tf.dispose(fusedMatMul({a, b, bias}));
    await eachCase(async (format, where, inContext) => {
      for (const weightToo of [false, true]) {
        const args: Args = {a, b, bias, activation: 'relu', roundInputTo: format};
        if (weightToo) args.roundWeightTo = format;
        const what = `${weightToo ? 'a and b' : 'a'} ${where}`;
        const castFirst = (x: Args): tf.Tensor =>
          fusedMatMul({
            ...x,
            roundInputTo: undefined,
            roundWeightTo: undefined,
            a: quantize(x.a, format),
            b: weightToo ? quantize(x.b, format) : x.b,
          });
        const got = inContext(() => valueAndGrads(fusedMatMul, args));
        const want = inContext(() => valueAndGrads(castFirst, args));
        for (const [k, name] of ['y', 'da', 'db', 'dbias'].entries()) {
          expectBitsEqual(bits(got[k]!), bits(want[k]!), `${what} ${name}`);
        }
        // a's gradient holds the format's values (its cast point rounds it).
        expectBitsEqual(bits(got[1]!), bits(quantize(got[1]!, format)), `${what} da rounded`);
        tf.dispose([...got, ...want]);
      }
    });
    tf.dispose([a, b, bias]);
  });

  it('fusedConv2d roundInputTo: a cast point before x, bit for bit', async () => {
    const x = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 10) as tf.Tensor4D;
    const filter = tf.randomNormal([3, 3, 3, 5], 0, 0.3, 'float32', 11) as tf.Tensor4D;
    tf.dispose(fusedConv2d({x, filter, strides: 1, pad: 'same'}));
    const run = (roundInputTo: FormatName | undefined, prepare: (t: tf.Tensor) => tf.Tensor) =>
      tf.grads((p: tf.Tensor, q: tf.Tensor) =>
        tf.sum(
          tf.square(
            fusedConv2d({
              x: prepare(p) as tf.Tensor4D,
              filter: q as tf.Tensor4D,
              strides: 2,
              pad: 'same',
              activation: 'relu',
              roundInputTo,
              roundWeightTo: roundInputTo,
            }),
          ),
        ),
      )([x, filter]);
    await eachCase(async (format, where, inContext) => {
      const got = inContext(() => run(format, (t) => t));
      const want = inContext(() =>
        tf.grads((p: tf.Tensor, q: tf.Tensor) =>
          tf.sum(
            tf.square(
              fusedConv2d({
                x: quantize(p, format) as tf.Tensor4D,
                filter: quantize(q, format) as tf.Tensor4D,
                strides: 2,
                pad: 'same',
                activation: 'relu',
              }),
            ),
          ),
        )([x, filter]),
      );
      expectBitsEqual(bits(got[0]!), bits(want[0]!), `${where} dx`);
      expectBitsEqual(bits(got[1]!), bits(want[1]!), `${where} dfilter`);
      tf.dispose([...got, ...want]);
    });
    tf.dispose([x, filter]);
  });

  it('roundWeightTo rejects a name that is not a format, naming it', () => {
    const a = tf.ones([2, 3]) as tf.Tensor2D;
    const b = tf.ones([3, 2]) as tf.Tensor2D;
    expect(() => fusedMatMul({a, b, roundWeightTo: 'float17' as FormatName})).toThrow(
      /roundWeightTo.*float17|float17.*roundWeightTo/,
    );
    const x = tf.ones([1, 3, 3, 2]) as tf.Tensor4D;
    const filter = tf.ones([1, 1, 2, 2]) as tf.Tensor4D;
    expect(() =>
      fusedConv2d({x, filter, strides: 1, pad: 'same', roundWeightTo: 'half' as FormatName}),
    ).toThrow(/roundWeightTo.*half|half.*roundWeightTo/);
    tf.dispose([a, b, x, filter]);
  });
});

describeBackends(['tensorflow'], () => {
  it('roundWeightTo: no rounded copy of b outlives a product (TF tensor bytes)', () => {
    // b dominates: 256×256 float32 is 256 KiB, the activations 8×256 are 8 KiB.
    const a = tf.randomNormal([8, 256], 0, 1, 'float32', 1) as tf.Tensor2D;
    const b = tf.randomNormal([256, 256], 0, 0.1, 'float32', 2) as tf.Tensor2D;
    const bias = tf.zeros([256]) as tf.Tensor1D;
    tf.dispose([a, b, bias].map((t) => tf.neg(t))); // their TF handles exist before tracking
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
      // A cast point keeps the rounded b (as its 16-bit copy) from the forward product to the
      // backward one, and each product reads it through a float32 copy of its own beside it and
      // the gradient of b; roundWeightTo holds one transient copy at a time.
      expect(ours).toBeLessThanOrEqual(castFirst - bBytes);
    } finally {
      setNativeDispatch(previous);
    }
    tf.dispose([a, b, bias]);
  });

  it('roundInputTo: no float32 gradient of a beside its rounded one (TF tensor bytes)', () => {
    // a dominates: 512×256 float32 is 512 KiB, b 256×16 is 16 KiB.
    const a = tf.randomNormal([512, 256], 0, 1, 'float32', 1) as tf.Tensor2D;
    const b = tf.randomNormal([256, 16], 0, 0.1, 'float32', 2) as tf.Tensor2D;
    tf.dispose([a, b].map((t) => tf.neg(t))); // their TF handles exist before tracking
    const aBytes = 512 * 256 * 4;
    const previous = setNativeDispatch('none');
    try {
      const peak = (run: (p: tf.Tensor, q: tf.Tensor) => tf.Tensor) => {
        const a16 = quantize(a, 'bfloat16'); // the layer's input, rounded by its cast point
        const tracker = trackTensorBytes()!;
        const g = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(run(p, q)))([a16, b]);
        const {peakBytes} = tracker.stop();
        tf.dispose([a16, ...g]);
        return peakBytes;
      };
      const ours = peak((p, q) =>
        fusedMatMul({a: p as tf.Tensor2D, b: q as tf.Tensor2D, roundInputTo: 'bfloat16'}),
      );
      const castFirst = peak((p, q) =>
        fusedMatMul({a: quantize(p, 'bfloat16') as tf.Tensor2D, b: q as tf.Tensor2D}),
      );
      // A cast point's gradient rounds the op's float32 gradient of a, which the tape keeps to
      // the end of the backward pass beside the rounded one; with roundInputTo the op returns a
      // rounded gradient (its kernel rounds it), and no float32 one outlives its thunk.
      expect(ours).toBeLessThanOrEqual(castFirst - aBytes / 2);
    } finally {
      setNativeDispatch(previous);
    }
    tf.dispose([a, b]);
  });

  it('fusedConv2d roundWeightTo: no rounded copy of the filter outlives a convolution', () => {
    // The filter dominates: 3×3×64×64 float32 is 144 KiB, each activation 2×4×4×64 is 8 KiB.
    const x = tf.randomNormal([2, 4, 4, 64], 0, 1, 'float32', 1) as tf.Tensor4D;
    const filter = tf.randomNormal([3, 3, 64, 64], 0, 0.1, 'float32', 2) as tf.Tensor4D;
    tf.dispose([x, filter].map((t) => tf.neg(t))); // their TF handles exist before tracking
    const filterBytes = 3 * 3 * 64 * 64 * 4;
    const previous = setNativeDispatch('none');
    try {
      const peak = (prepare: (f: tf.Tensor) => tf.Tensor, roundWeightTo?: FormatName) => {
        const tracker = trackTensorBytes()!;
        const g = tf.grads((p: tf.Tensor, q: tf.Tensor) =>
          tf.sum(
            tf.square(
              fusedConv2d({
                x: p as tf.Tensor4D,
                filter: prepare(q) as tf.Tensor4D,
                strides: 1,
                pad: 'same',
                roundWeightTo,
              }),
            ),
          ),
        )([x, filter]);
        const {peakBytes} = tracker.stop();
        tf.dispose(g);
        return peakBytes;
      };
      const ours = peak((f) => f, 'float16');
      const castFirst = peak((f) => quantize(f, 'float16'));
      // A rounded copy still exists during each convolution that reads the filter, and at this
      // size one can be part of the peak; the held copy of a cast point is gone.
      expect(ours).toBeLessThanOrEqual(castFirst - filterBytes / 2);
    } finally {
      setNativeDispatch(previous);
    }
    tf.dispose([x, filter]);
  });
});
