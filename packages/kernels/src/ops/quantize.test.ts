import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {asFloat32, describeMismatches, roundingFixture} from '../../test/rounding-fixture.js';
import {FORMAT_NAMES} from '../formats/index.js';
import {quantize} from '../index.js';

/** Runs quantize on the fixture inputs and returns the output bits (tensors disposed). */
async function quantizeBits(
  input: Uint32Array,
  format: (typeof FORMAT_NAMES)[number],
  saturate: boolean,
) {
  return expectNoLeaks(() => {
    const x = tf.tensor1d(asFloat32(input));
    const y = quantize(x, format, {saturate});
    const bits = new Uint32Array((y.dataSync() as Float32Array).slice().buffer);
    tf.dispose([x, y]);
    return bits;
  });
}

function fixtureSuite() {
  describe.each(FORMAT_NAMES)('to %s', (format) => {
    const fixture = roundingFixture(format);
    it('matches the oracle bit for bit, edge cases and random patterns', async () => {
      const bits = await quantizeBits(fixture.input, format, false);
      expect(describeMismatches(fixture, bits, fixture.out)).toBe('');
    });
    it('matches the saturating expectation', async () => {
      const bits = await quantizeBits(fixture.input, format, true);
      expect(describeMismatches(fixture, bits, fixture.saturated)).toBe('');
    });
  });
}

describeBackends(['cpu', 'wasm'], (backend) => {
  describe('quantize', () => {
    fixtureSuite();

    if (backend === 'wasm') {
      describe('with WASM_HAS_SIMD_SUPPORT off (JavaScript over the heap)', () => {
        let previous: boolean;
        beforeAll(() => {
          previous = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
          tf.env().set('WASM_HAS_SIMD_SUPPORT', false);
        });
        afterAll(() => tf.env().set('WASM_HAS_SIMD_SUPPORT', previous));
        fixtureSuite();
      });

      it("can reach the backend's WebAssembly.Memory, which the SIMD kernel imports", () => {
        const module = (tf.backend() as unknown as {wasm: {asm?: {memory?: unknown}}}).wasm;
        expect(module.asm?.memory).toBeInstanceOf(WebAssembly.Memory);
        expect(tf.env().getBool('WASM_HAS_SIMD_SUPPORT')).toBe(true);
      });
    }

    it('keeps the shape and rounds scalars, matrices and empty tensors', async () => {
      await expectNoLeaks(() => {
        const inputs = [
          tf.tensor2d([
            [0.1, 65520],
            [-1e-30, 3],
          ]),
          tf.scalar(1 + 2 ** -8),
          tf.zeros([0, 3]),
        ];
        const matrix = quantize(inputs[0]!, 'float16');
        expect(matrix.shape).toEqual([2, 2]);
        expectBitsEqual(matrix.dataSync() as Float32Array, [0.0999755859375, Infinity, -0, 3]);
        const scalar = quantize(inputs[1]!, 'bfloat16'); // 1 + 2^−8 is a tie → 1 (even)
        expect(scalar.shape).toEqual([]);
        expect(scalar.dataSync()[0]).toBe(1);
        const empty = quantize(inputs[2]!, 'float8_e4m3fn');
        expect(empty.shape).toEqual([0, 3]);
        tf.dispose([...inputs, matrix, scalar, empty]);
      });
    });

    it('leaves its input untouched', async () => {
      await expectNoLeaks(() => {
        const x = tf.tensor1d([0.1, 500]);
        const y = quantize(x, 'float8_e4m3fn');
        expectBitsEqual(y.dataSync() as Float32Array, [0.1015625, Number.NaN]);
        expectBitsEqual(x.dataSync() as Float32Array, [0.1, 500]);
        tf.dispose([x, y]);
      });
    });

    it('rejects a non-float32 tensor, naming its dtype and the fix', async () => {
      await expectNoLeaks(() => {
        const x = tf.tensor1d([1, 2], 'int32');
        expect(() => quantize(x, 'float16')).toThrow(
          new TypeError(
            "quantize: x must be a float32 tensor; got int32. Cast it first: tf.cast(x, 'float32').",
          ),
        );
        x.dispose();
      });
    });

    it('rejects arrays and other values that are not tensors', () => {
      expect(() => quantize([1, 2] as unknown as tf.Tensor, 'float16')).toThrow(
        new TypeError(
          'quantize: x must be a float32 tf.Tensor; got Array. Wrap it first: tf.tensor(values).',
        ),
      );
      expect(() => quantize(new Float32Array(2) as unknown as tf.Tensor, 'float16')).toThrow(
        /got Float32Array/,
      );
    });

    it('rejects unknown formats and bad options before running anything', async () => {
      await expectNoLeaks(() => {
        const x = tf.tensor1d([1]);
        const allowed = FORMAT_NAMES.join(', ');
        expect(() => quantize(x, 'half' as 'float16')).toThrow(
          new TypeError(`quantize: unknown format 'half'. Allowed: ${allowed}.`),
        );
        expect(() => quantize(x, 'float16', {gradFormat: 'fp8' as 'float16'})).toThrow(
          new TypeError(`quantize: unknown options.gradFormat 'fp8'. Allowed: ${allowed}.`),
        );
        expect(() => quantize(x, 'float16', {saturate: 'yes' as unknown as boolean})).toThrow(
          new TypeError("quantize: options.saturate must be a boolean; got 'yes'."),
        );
        expect(() => quantize(x, 'float16', 3 as unknown as object)).toThrow(
          /options must be an object; got 3/,
        );
        x.dispose();
      });
    });

    it('guards the kernel against direct runKernel calls with bad attributes', async () => {
      await expectNoLeaks(() => {
        const x = tf.tensor1d([1]);
        const run = (attrs: object) =>
          tf.engine().runKernel('AmpQuantize', {x}, attrs as tf.NamedAttrMap);
        expect(() => run({format: 'float17', saturate: false, gradFormat: 'float16'})).toThrow(
          /AmpQuantize: unknown attrs.format 'float17'/,
        );
        const i = tf.tensor1d([1], 'int32');
        expect(() => tf.engine().runKernel('AmpQuantize', {x: i}, {format: 'float16'})).toThrow(
          /AmpQuantize: x must be a float32 tensor; got int32/,
        );
        tf.dispose([x, i]);
      });
    });
  });
});
