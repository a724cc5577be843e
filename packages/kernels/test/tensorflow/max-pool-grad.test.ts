// MaxPool's gradient in 16 bits on tfjs-node: on 16-bit native operands, for windows that do not
// overlap, TF's MaxPoolGrad in the format gives tfjs-node's float32 values bit for bit.
import * as tf from '@tensorflow/tfjs';
import {MaxPoolGrad, type TensorInfo} from '@tensorflow/tfjs';
import {describeBackends, expectBitsEqual} from '@tfjs-amp/test-utils';
import {expect, it} from 'vitest';
import {fusedConv2d, nativeMemory, withComputeFormat} from '../../src/index.js';
import {asNodeBackend} from '../../src/native/binding.js';
import {replacedKernelConfig} from '../../src/native/overrides.js';
import {isElementwiseOpSupported} from '../../src/native/probe.js';
import {materialize, nativeHandles, OpSpy, useNativeDispatch, values} from './support.js';

describeBackends(['tensorflow'], () => {
  useNativeDispatch('all');

  const bits = (t: TensorInfo) => (tf.backend().readSync(t.dataId) as Float32Array).slice();

  for (const format of ['bfloat16', 'float16'] as const) {
    const dtype = format === 'bfloat16' ? 14 : 19;
    for (const [pool, stride, pad, native] of [
      [2, 2, 'valid', true],
      [3, 3, 'same', true],
      [3, 2, 'same', false], // overlapping windows: summed in float32 by tfjs-node's kernel
    ] as const) {
      it(`${format}, pool ${pool} stride ${stride} ${pad}: ${native ? 'in 16 bits' : 'float32'}, tfjs-node’s values`, () => {
        const before = nativeHandles();
        // Coarse values: the relu makes many all-zero windows and ties, where the first maximum
        // takes the gradient.
        const x = tf.tensor4d(
          values(2 * 7 * 7 * 3, 11, format).map((v) => Math.round(v * 4) / 4),
          [2, 7, 7, 3],
        );
        const filter = tf.tensor4d(values(3 * 3 * 3 * 4, 12, format), [3, 3, 3, 4]);
        const w = tf.tensor2d(values(4 * 4, 13, format), [4, 4]);
        materialize(x, filter, w);
        isElementwiseOpSupported(asNodeBackend(tf.backend())!, 'MaxPoolGrad', format);
        const [input, output, dy] = withComputeFormat(format, () => {
          const input = fusedConv2d({x, filter, strides: 1, pad: 'same', activation: 'relu'});
          const output = tf.maxPool(input, pool, stride, pad);
          // A gradient as a native product passes it down (16-bit, reshaped in 16 bits).
          const g = tf.tidy(() => tf.matMul(tf.reshape(output, [-1, 4]), w).reshape(output.shape));
          return [input, output, g] as const;
        });
        const attrs = {filterSize: pool, strides: stride, pad};
        const spy = new OpSpy();
        const ours = tf.engine().runKernel(MaxPoolGrad, {dy, input, output}, attrs) as tf.Tensor;
        spy.restore();
        expect(spy.calls.filter((c) => c.op !== 'Reshape')).toEqual(
          native
            ? [{op: 'MaxPoolGrad', dtype}]
            : [
                {op: 'Cast', dtype: undefined},
                {op: 'Cast', dtype: undefined},
                {op: 'Cast', dtype: undefined},
                {op: 'MaxPoolGrad', dtype: 1},
              ],
        );
        if (native) expect(nativeMemory().deferredBytes).toBeGreaterThanOrEqual(4 * ours.size);
        const theirs = replacedKernelConfig(MaxPoolGrad, 'tensorflow')!.kernelFunc({
          inputs: {dy, input, output},
          backend: tf.backend(),
          attrs,
        }) as TensorInfo;
        const want = bits(theirs);
        expect(want.some((v) => v !== 0)).toBe(true);
        expectBitsEqual(bits(ours), want, `${format} MaxPoolGrad`);
        tf.backend().disposeData(theirs.dataId);
        tf.dispose([x, filter, w, input, output, dy, ours]);
        expect(nativeHandles(), 'no handle left behind').toBe(before);
      });
    }
  }
});
