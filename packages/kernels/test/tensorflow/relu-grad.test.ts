// Relu's gradient on tfjs-node: the Step override (float32, tfjs-node's values in four TF ops) and
// the AmpReluGrad kernel the fused ops' gradients use (TF's ReluGrad, 16-bit on 16-bit operands).
import * as tf from '@tensorflow/tfjs';
import {Step, type TensorInfo} from '@tensorflow/tfjs';
import {describeBackends, expectBitsEqual} from '@tfjs-amp/test-utils';
import {expect, it} from 'vitest';
import {fusedConv2d, fusedMatMul, nativeMemory, withComputeFormat} from '../../src/index.js';
import {AmpReluGrad} from '../../src/kernel-names.js';
import {asNodeBackend} from '../../src/native/binding.js';
import {replacedKernelConfig} from '../../src/native/overrides.js';
import {isElementwiseOpSupported} from '../../src/native/probe.js';
import {
  materialize,
  nativeHandles,
  OpSpy,
  productOp,
  useNativeDispatch,
  values,
} from './support.js';

const SPECIALS = [NaN, -NaN, Infinity, -Infinity, 0, -0, 1e-45, -1e-45, 1.17e-38, -2, 3.5, 65504];

describeBackends(['tensorflow'], () => {
  useNativeDispatch('all');

  const bits = (t: TensorInfo) => (tf.backend().readSync(t.dataId) as Float32Array).slice();

  it('step: tfjs-node’s values bit for bit in four TF ops, with no tensor filled in JavaScript', () => {
    const original = replacedKernelConfig(Step, 'tensorflow');
    expect(original, 'the Step override is installed').toBeDefined();
    const x = tf.tensor1d([...SPECIALS, ...values(4096, 7, 'float32')]);
    materialize(x);
    for (const alpha of [0, 0.25, -3]) {
      const start = nativeHandles();
      const spy = new OpSpy();
      const ours = tf.step(x, alpha);
      spy.restore();
      expect(spy.calls.map((c) => c.op)).toEqual(['Greater', 'IsNan', 'SelectV2', 'SelectV2']);
      const theirs = original!.kernelFunc({
        inputs: {x},
        backend: tf.backend(),
        attrs: {alpha},
      }) as TensorInfo;
      expectBitsEqual(bits(ours), bits(theirs), `step alpha=${alpha}`);
      tf.dispose(ours);
      tf.backend().disposeData(theirs.dataId);
      expect(nativeHandles(), 'no handle left behind').toBe(start);
    }
    tf.dispose(x);
  });

  it('AmpReluGrad in float32: dy where y > 0, dy · 0 elsewhere, 0 where y is NaN', () => {
    const y = tf.tensor1d([NaN, -1, 2, 0, -0, -Infinity, Infinity, -1, 1, 1e-45, -1e-45]);
    const dy = tf.tensor1d([1, NaN, 3, Infinity, 2, 1, 1, -Infinity, NaN, 5, 5]);
    materialize(y, dy);
    const start = nativeHandles();
    const spy = new OpSpy();
    const g = tf.engine().runKernel(AmpReluGrad, {dy, y}) as tf.Tensor;
    spy.restore();
    expect(spy.calls).toEqual([{op: 'ReluGrad', dtype: 1}]);
    // tfjs's dy · step(y), except where y is NaN (TF's ReluGrad gives dy · 0 there). TF flushes
    // float32 subnormals in its CPU kernels, so 1e-45 counts as 0.
    const want = tf.tidy(() => tf.mul(dy, tf.step(y)).dataSync() as Float32Array);
    want[0] = 0;
    want[9] = 0;
    expectBitsEqual(g.dataSync() as Float32Array, want, 'ReluGrad');
    tf.dispose(g);
    expect(nativeHandles()).toBe(start);
    expect(() => tf.engine().runKernel(AmpReluGrad, {dy, y: tf.zeros([2])})).toThrow(
      /two float32 tensors of one shape.*\[11\].*\[2\]/,
    );
    tf.dispose([y, dy]);
  });

  it('AmpReluGrad on 16-bit native outputs runs in 16 bits, and its result stays 16-bit', () => {
    for (const format of ['bfloat16', 'float16'] as const) {
      const a = tf.tensor2d(values(32 * 24, 1, format), [32, 24]);
      const b = tf.tensor2d(values(24 * 16, 2, format), [24, 16]);
      const c = tf.tensor2d(values(16 * 16, 3, format), [16, 16]);
      const before = nativeHandles();
      materialize(a, b, c);
      // The one-time probe of ReluGrad in the format, before the spy.
      isElementwiseOpSupported(asNodeBackend(tf.backend())!, 'ReluGrad', format);
      const start = {
        handles: nativeHandles(),
        deferred: nativeMemory().deferredBytes,
      };
      // y and dy as a native layer's output and the gradient a native product passes down.
      const y = withComputeFormat(format, () => tf.matMul(a, b));
      const dy = withComputeFormat(format, () => tf.tidy(() => tf.matMul(tf.matMul(a, b), c)));
      const spy = new OpSpy();
      const g = tf.engine().runKernel(AmpReluGrad, {dy, y}) as tf.Tensor;
      const next = withComputeFormat(format, () => tf.matMul(g, c));
      spy.restore();
      const dtype = format === 'bfloat16' ? 14 : 19;
      // No cast: ReluGrad reads both 16-bit copies, the next product reads ReluGrad's.
      expect(spy.calls).toEqual([
        {op: 'ReluGrad', dtype},
        {op: productOp(format), dtype},
      ]);
      expect(nativeMemory().deferredBytes - start.deferred).toBeGreaterThanOrEqual(4 * 32 * 16 * 4);
      // Multiplying by 0 or 1 is exact: the same values as tfjs's dy · step(y) on the widened
      // operands (all finite here).
      const want = tf.tidy(() => tf.mul(dy, tf.step(y)).dataSync() as Float32Array);
      expectBitsEqual(g.dataSync() as Float32Array, want, `${format} ReluGrad`);
      tf.dispose([y, dy, g, next]);
      expect(nativeMemory().deferredBytes).toBe(start.deferred);
      // With a, b and c go their cached 16-bit copies: back where we started.
      tf.dispose([a, b, c]);
      expect(nativeHandles()).toBe(before);
    }
  });

  it('fusedMatMul and fusedConv2d: tf.fused’s values and float32 gradients, bit for bit', () => {
    const x = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const filter = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 5) as tf.Tensor4D;
    const bias = tf.randomNormal([4], 0, 1, 'float32', 6) as tf.Tensor1D;
    const a = tf.randomNormal([5, 7], 0, 1, 'float32', 1) as tf.Tensor2D;
    const b = tf.randomNormal([7, 4], 0, 1, 'float32', 2) as tf.Tensor2D;
    materialize(x, filter, bias, a, b);
    for (const activation of ['linear', 'relu'] as const) {
      const conv = (f: typeof fusedConv2d) => (p: tf.Tensor, w: tf.Tensor, c: tf.Tensor) =>
        tf.sum(
          tf.square(
            f({
              x: p as tf.Tensor4D,
              filter: w as tf.Tensor4D,
              strides: 1,
              pad: 'same',
              bias: c as tf.Tensor1D,
              activation,
            }),
          ),
        );
      const mm = (f: typeof fusedMatMul) => (p: tf.Tensor, w: tf.Tensor, c: tf.Tensor) =>
        tf.sum(
          tf.square(
            f({
              a: p as tf.Tensor2D,
              b: w as tf.Tensor2D,
              bias: c as tf.Tensor1D,
              activation,
            }),
          ),
        );
      const start = nativeHandles();
      for (const [name, ours, theirs, inputs] of [
        [
          'conv',
          conv(fusedConv2d),
          conv((q) => tf.fused.conv2d(q) as tf.Tensor4D),
          [x, filter, bias],
        ],
        ['matMul', mm(fusedMatMul), mm((q) => tf.fused.matMul(q) as tf.Tensor2D), [a, b, bias]],
      ] as const) {
        const g1 = tf.grads(ours)(inputs as unknown as tf.Tensor[]);
        const g2 = tf.grads(theirs)(inputs as unknown as tf.Tensor[]);
        for (const [i, g] of g1.entries()) {
          expectBitsEqual(bits(g), bits(g2[i]!), `${name} ${activation} d${i}`);
        }
        tf.dispose([...g1, ...g2]);
      }
      expect(nativeHandles(), 'no handle left behind').toBe(start);
    }
    tf.dispose([x, filter, bias, a, b]);
  });
});
