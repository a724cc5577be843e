import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectBitsEqual, expectNoLeaks, f32FromBits} from '@tfjs-amp/test-utils';
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest';
import {
  ensureAmpKernels,
  getFormat,
  nativeMemory,
  quantize,
  roundArray,
  setNativeDispatch,
  trackTensorBytes,
} from '../../src/index.js';
import type {FormatName} from '../../src/formats/format-spec.js';
import {forceNativeOpSupport} from '../../src/native/probe.js';
import {OpSpy, materialize} from './support.js';

const CAST_FORMATS: readonly FormatName[] = ['bfloat16', 'float16', 'float8_e4m3fn', 'float8_e5m2'];

/** Hand-picked float32 bit patterns: zeros, subnormals, ties, limits, Inf, NaNs with payloads. */
function edgeCases(format: FormatName): Float32Array {
  const spec = getFormat(format);
  const m = spec.mantissaBits;
  const v: number[] = [0, -0, 1, -1, 0.1, -0.1, 1 / 3, Math.PI, 1e-30, -1e-30];
  for (const x of [spec.maxFinite, spec.minNormal, spec.minSubnormal]) {
    v.push(x, -x, x * (1 + 2 ** -(m + 1)), x * (1 - 2 ** -(m + 2)), x * 1.5, x / 2, x * 0.75);
  }
  // Ties around 1 (to even down, to even up) and just past them.
  v.push(
    1 + 2 ** -(m + 1),
    1 + 3 * 2 ** -(m + 1),
    1 + 2 ** -(m + 1) + 2 ** -23,
    -(1 + 3 * 2 ** -(m + 1)),
  );
  // The overflow threshold: maxFinite + half an ulp rounds up (to Inf/NaN) unless saturating.
  const halfUlp = 2 ** (Math.floor(Math.log2(spec.maxFinite)) - m - 1);
  v.push(
    spec.maxFinite + halfUlp,
    spec.maxFinite + halfUlp - 2 ** -10,
    -(spec.maxFinite + halfUlp),
  );
  v.push(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 3.4e38, -3.4e38);
  const bits = [
    0x00000001, 0x80000001, 0x007fffff, 0x00008011, 0x00400000, 0x7f800001, 0x7fc00000, 0xffc00001,
    0x7fbfffff, 0xff812345, 0x7fe00abc,
  ];
  const out = new Float32Array(v.length + bits.length);
  out.set(v);
  new Uint32Array(out.buffer).set(bits, v.length);
  return out;
}

/**
 * Compares with `roundArray` bit for bit, except that TF's bfloat16 and float8_e5m2 casts turn
 * every NaN into a quiet NaN with an empty payload (0x7fc00000 or 0xffc00000: the vectorised and
 * the scalar path of the cast differ on the sign); float16, float8_e4m3fn and tf32 keep
 * roundArray's NaN exactly.
 */
function expectRoundedLikeRoundArray(
  got: Float32Array,
  src: Float32Array,
  format: FormatName,
  saturate: boolean,
): void {
  const want = roundArray(src, format, undefined, {saturate});
  if (format === 'bfloat16' || format === 'float8_e5m2') {
    const gotBits = new Uint32Array(got.buffer, got.byteOffset, got.length);
    const wantBits = new Uint32Array(want.buffer);
    const bad: string[] = [];
    for (let i = 0; i < src.length; i++) {
      if (!Number.isNaN(src[i])) continue;
      if (gotBits[i] !== 0x7fc00000 && gotBits[i] !== 0xffc00000)
        bad.push(`[${i}] 0x${gotBits[i]!.toString(16)}`);
      wantBits[i] = gotBits[i]!; // checked just above; the bit comparison below covers the rest
    }
    expect(bad, `${format}: NaN results`).toEqual([]);
  }
  expectBitsEqual(got, want, format);
}

/** `count` float32 patterns spread over all 2^32 (stride coprime with 2^32, so every exponent). */
function sweep(count: number, offset: number): Float32Array {
  const bits = new Uint32Array(count);
  const stride = Math.floor(2 ** 32 / count) | 1;
  for (let i = 0; i < count; i++) bits[i] = (offset + i * stride) >>> 0;
  return new Float32Array(bits.buffer);
}

describeBackends(['tensorflow'], () => {
  let spy: OpSpy;
  beforeAll(() => {
    ensureAmpKernels('tensorflow');
    // Probe the casts once, outside the spy's view.
    tf.dispose(CAST_FORMATS.map((format) => quantize(tf.zeros([1]), format)));
    spy = new OpSpy();
  });
  afterAll(() => spy.restore());
  beforeEach(() => spy.reset());

  describe('AmpQuantize (tensorflow)', () => {
    for (const format of [...CAST_FORMATS, 'tf32'] as const) {
      for (const saturate of [false, true]) {
        it(`rounds to ${format}${saturate ? ' (saturating)' : ''} natively, as roundArray does`, async () => {
          const src = new Float32Array([...edgeCases(format), ...sweep(1 << 18, 12345)]);
          const x = tf.tensor1d(src);
          materialize(x);
          const y = await expectNoLeaks(() => quantize(x, format, {saturate}), 1);
          expectRoundedLikeRoundArray(y.dataSync() as Float32Array, src, format, saturate);
          const ops = spy.calls.map((c) => c.op);
          const clamp = saturate ? ['Greater', 'SelectV2', 'Less', 'SelectV2'] : [];
          if (format === 'tf32') {
            // Integer rounding on the bits: a dozen cheap elementwise ops, no float arithmetic.
            expect(ops.slice(0, clamp.length + 1)).toEqual([...clamp, 'Bitcast']);
            expect(ops.at(-1)).toBe('Bitcast');
            expect(
              ops.filter(
                (op) =>
                  !/^(Bitcast|BitwiseAnd|BitwiseOr|RightShift|AddV2|IsNan|SelectV2|Greater|Less)$/.test(
                    op,
                  ),
              ),
            ).toEqual([]);
          } else {
            expect(ops).toEqual([...clamp, 'Cast', 'Cast']);
          }
          tf.dispose([x, y]);
        });
      }
    }

    it('rounds the straight-through gradient with native casts too', async () => {
      const dy = tf.tensor1d([0.1, 1e-9, 70000, -Math.PI]);
      const x = tf.tensor1d([1, 2, 3, 4]);
      materialize(dy, x);
      const [dx] = await expectNoLeaks(
        () =>
          tf.grads((v: tf.Tensor) => tf.mul(quantize(v, 'float16', {gradFormat: 'bfloat16'}), dy))([
            x,
          ]),
        1,
      );
      expectBitsEqual(
        dx!.dataSync() as Float32Array,
        roundArray(dy.dataSync() as Float32Array, 'bfloat16'),
      );
      tf.dispose([dy, x, dx!]);
    });

    it('returns a copy for float32 without running a TF op', () => {
      const src = new Float32Array([0.1, -1 / 3, 1 + 2 ** -11, 65504, -0, Number.NaN]);
      const x = tf.tensor1d(src);
      const y = quantize(x, 'float32');
      expectBitsEqual(y.dataSync() as Float32Array, src, 'float32');
      expect(spy.calls).toEqual([]);
      tf.dispose([x, y]);
    });

    it('falls back to the generic kernel where the device lacks the cast', () => {
      forceNativeOpSupport('Cast', 'float8_e5m2', false);
      try {
        const src = new Float32Array([0.1, -1 / 3, 57344, 61440, 1e-6, -0]);
        const x = tf.tensor1d(src);
        const y = quantize(x, 'float8_e5m2');
        expectBitsEqual(y.dataSync() as Float32Array, roundArray(src, 'float8_e5m2'));
        expect(spy.calls.some((c) => c.op === 'Cast' && c.dtype === undefined)).toBe(false);
        expect(spy.calls.length).toBeGreaterThan(10);
        tf.dispose([x, y]);
      } finally {
        forceNativeOpSupport('Cast', 'float8_e5m2', null);
      }
    });

    it('keeps bfloat16 subnormals (no flush to zero) and -0', () => {
      const src = new Float32Array([
        f32FromBits(0x00008011),
        f32FromBits(0x80010000),
        -0,
        f32FromBits(0x00000001),
      ]);
      for (const saturate of [false, true]) {
        const y = quantize(tf.tensor1d(src), 'bfloat16', {saturate});
        expectBitsEqual(
          y.dataSync() as Float32Array,
          roundArray(src, 'bfloat16'),
          `saturate ${saturate}`,
        );
        y.dispose();
      }
    });

    it('holds a float16 or bfloat16 result as its 16-bit copy alone, under any dispatch', () => {
      const src = new Float32Array([1, 2.5, -3, 0.1, 1 / 3, 70000, -0]);
      const x = tf.tensor1d(src);
      materialize(x);
      for (const mode of ['none', 'all'] as const) {
        for (const format of ['float16', 'bfloat16'] as const) {
          const previous = setNativeDispatch(mode);
          try {
            const before = nativeMemory();
            const tracker = trackTensorBytes()!;
            const y = quantize(x, format);
            const at = `dispatch '${mode}', ${format}`;
            // One 16-bit handle, and no float32 data for the result yet.
            expect(tracker.read().liveBytes, at).toBe(2 * src.length);
            expect(nativeMemory().handles - before.handles, at).toBe(1);
            expect(nativeMemory().deferredBytes - before.deferredBytes, at).toBe(4 * src.length);
            // While tfjs computes gradients, a float32 op reads it through a copy of its own and
            // it stays 16-bit; outside one (data(), an optimizer), it gets float32 data for good.
            let during = 0;
            const dx = tf.grad((input: tf.Tensor) => {
              const sum = tf.add(quantize(input, format), y);
              during = nativeMemory().deferredBytes - before.deferredBytes;
              return sum.sum();
            })(x);
            // Still y alone: rounding x again while y lives gives y's data, and the add read it
            // through a copy of its own.
            expect(during, at).toBe(4 * src.length);
            // y and dx (quantize's gradient is rounded too).
            expect(nativeMemory().deferredBytes - before.deferredBytes, at).toBe(8 * src.length);
            const twice = tf.add(y, y);
            expect(nativeMemory().deferredBytes - before.deferredBytes, at).toBe(4 * src.length);
            const expected = roundArray(src, format);
            expectBitsEqual(
              twice.dataSync() as Float32Array,
              expected.map((v) => v + v),
              at,
            );
            expectBitsEqual(y.dataSync() as Float32Array, expected, at);
            expectBitsEqual(
              dx.dataSync() as Float32Array,
              new Float32Array(src.length).fill(1),
              at,
            );
            expect(nativeMemory().deferredBytes, at).toBe(before.deferredBytes);
            dx.dispose();
            tf.dispose([y, twice]);
            tracker.stop();
            expect(nativeMemory().handles, at).toBe(before.handles);
          } finally {
            setNativeDispatch(previous);
          }
        }
      }
      x.dispose();
    });
  });
});
