// The wasm reduction overrides (Max, Mean, Min, Prod, Sum) on empty axes: the same results as cpu.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {expectNoLeaks, useBackend} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import '../../index.js';

/**
 * Regression tests for issue #13 defect 1: kernels whose sums are empty (batch 0, an empty
 * convolution output, inner dimension 0, a reduction over an empty axis) returned stale wasm
 * heap memory instead of what the cpu backend returns, and the stock forward convolutions
 * corrupted the heap on an empty output.
 * Before each wasm run the heap is dirtied (a large tensor of 7s is written then freed), so
 * memory a kernel forgets to clear shows up as non-zero values.
 */
const DIRT = 7;

function dirtyHeap(): void {
  const junk = tf.fill([1 << 14], DIRT);
  junk.dataSync();
  junk.dispose();
}

/** Runs `body` on cpu and on wasm (with a dirty heap, checking leaks); returns both results. */
async function onBoth(body: () => {values: Float32Array; shape: number[]}) {
  await useBackend('cpu');
  const expected = tf.tidy(body);
  await useBackend('wasm');
  const actual = await expectNoLeaks(() => {
    dirtyHeap();
    return tf.tidy(body);
  });
  return {expected, actual};
}

function read(t: tf.Tensor): {values: Float32Array; shape: number[]} {
  return {values: t.dataSync() as Float32Array, shape: t.shape};
}

describe('wasm kernels with empty sums return what the cpu backend returns', () => {
  const matMuls: Array<{a: number[]; b: number[]; tA: boolean; tB: boolean}> = [
    {a: [0, 3], b: [0, 2], tA: true, tB: false},
    {a: [3, 0], b: [2, 0], tA: false, tB: true},
    {a: [0, 3], b: [2, 0], tA: true, tB: true},
    {a: [3, 0], b: [0, 2], tA: false, tB: false},
    {a: [2, 3, 0], b: [2, 0, 4], tA: false, tB: false},
    {a: [1, 0, 3], b: [4, 0, 2], tA: true, tB: false},
    // Empty outputs (no empty sum): shapes must still match.
    {a: [0, 3], b: [3, 2], tA: false, tB: false},
    {a: [3, 4], b: [0, 4], tA: false, tB: true},
  ];
  for (const c of matMuls) {
    it(`BatchMatMul a ${c.a}${c.tA ? 'ᵀ' : ''} · b ${c.b}${c.tB ? 'ᵀ' : ''}`, async () => {
      const {expected, actual} = await onBoth(() =>
        read(tf.matMul(tf.ones(c.a), tf.ones(c.b), c.tA, c.tB)),
      );
      expect(actual.shape).toEqual(expected.shape);
      expect(Array.from(actual.values)).toEqual(Array.from(expected.values));
      expect(expected.values.every((v) => v === 0)).toBe(true);
    });
  }

  // Called as kernels, with dy of the output's shape: tfjs-backend-wasm's own forward Conv2D
  // corrupts its heap when the output is empty, so the forward pass cannot be part of the test.
  const convs: Array<{x: [number, number, number, number]; pad: 'same' | 'valid'; why: string}> = [
    {x: [0, 5, 5, 1], pad: 'same', why: 'batch 0'},
    {x: [2, 2, 2, 1], pad: 'valid', why: 'an input smaller than the window (empty output)'},
  ];
  const filter: [number, number, number, number] = [3, 3, 1, 2];
  for (const c of convs) {
    for (const dataFormat of ['NHWC', 'NCHW'] as const) {
      it(`Conv2DBackpropFilter ${dataFormat} with ${c.why}`, async () => {
        const [n, h, w, ch] = c.x;
        const xShape: [number, number, number, number] =
          dataFormat === 'NHWC' ? c.x : [n, ch, h, w];
        const {outShape} = tf.backend_util.computeConv2DInfo(
          xShape,
          filter,
          1,
          1,
          c.pad,
          undefined,
          false,
          tf.backend_util.convertConv2DDataFormat(dataFormat),
        );
        const {expected, actual} = await onBoth(() =>
          read(
            tf
              .engine()
              .runKernel(tf.Conv2DBackpropFilter, {x: tf.ones(xShape), dy: tf.ones(outShape)}, {
                strides: 1,
                pad: c.pad,
                dataFormat,
                filterShape: filter,
              } as unknown as tf.NamedAttrMap) as tf.Tensor,
          ),
        );
        expect(actual.shape).toEqual(filter);
        expect(Array.from(actual.values)).toEqual(Array.from(expected.values));
        expect(expected.values.every((v) => v === 0)).toBe(true);
      });
    }

    it(`DepthwiseConv2dNative backprops with ${c.why}`, async () => {
      const {outShape} = tf.backend_util.computeConv2DInfo(
        c.x,
        filter,
        1,
        1,
        c.pad,
        undefined,
        true,
      );
      const attrs = {strides: 1, dilations: 1, pad: c.pad};
      const body = () => {
        const dy = tf.ones(outShape);
        const dw = tf
          .engine()
          .runKernel(tf.DepthwiseConv2dNativeBackpropFilter, {x: tf.ones(c.x), dy}, {
            ...attrs,
            filterShape: filter,
          } as unknown as tf.NamedAttrMap) as tf.Tensor;
        const dx = tf
          .engine()
          .runKernel(tf.DepthwiseConv2dNativeBackpropInput, {dy, filter: tf.ones(filter)}, {
            ...attrs,
            inputShape: c.x,
          } as unknown as tf.NamedAttrMap) as tf.Tensor;
        expect(dx.shape).toEqual(c.x);
        return {values: Float32Array.of(...dx.dataSync(), ...dw.dataSync()), shape: dw.shape};
      };
      const {expected, actual} = await onBoth(body);
      expect(actual.shape).toEqual(filter);
      expect(Array.from(actual.values)).toEqual(Array.from(expected.values));
      expect(expected.values.every((v) => v === 0)).toBe(true);
    });
  }

  const reductions = {sum: tf.sum, mean: tf.mean, max: tf.max, min: tf.min, prod: tf.prod};
  for (const [op, reduce] of Object.entries(reductions)) {
    for (const [shape, axis, keepDims] of [
      [[0, 3], 0, false],
      [[2, 0, 3], [1], true],
      [[4, 0], -1, false],
      [[0, 2], [0, 1], false],
    ] as Array<[number[], number | number[], boolean]>) {
      it(`${op} over an empty axis: x ${shape}, axis ${axis}, keepDims ${keepDims}`, async () => {
        const {expected, actual} = await onBoth(() => read(reduce(tf.ones(shape), axis, keepDims)));
        expect(actual.shape).toEqual(expected.shape);
        expect(Array.from(actual.values)).toEqual(Array.from(expected.values));
      });
    }
  }

  const forwards: Record<string, () => tf.Tensor> = {
    'conv2d, empty output': () =>
      tf.conv2d(
        tf.ones([2, 2, 2, 1]) as tf.Tensor4D,
        tf.ones([3, 3, 1, 2]) as tf.Tensor4D,
        1,
        'valid',
      ),
    'conv2d NCHW, empty output': () =>
      tf.conv2d(
        tf.ones([2, 1, 2, 2]) as tf.Tensor4D,
        tf.ones([3, 3, 1, 2]) as tf.Tensor4D,
        1,
        'valid',
        'NCHW',
      ),
    'fused conv2d, empty output': () =>
      tf.fused.conv2d({
        x: tf.ones([2, 2, 2, 1]) as tf.Tensor4D,
        filter: tf.ones([3, 3, 1, 2]) as tf.Tensor4D,
        strides: 1,
        pad: 'valid',
        bias: tf.ones([2]),
        activation: 'relu',
      }),
    'depthwiseConv2d, empty output': () =>
      tf.depthwiseConv2d(
        tf.ones([2, 2, 2, 1]) as tf.Tensor4D,
        tf.ones([3, 3, 1, 2]) as tf.Tensor4D,
        1,
        'valid',
      ),
    'fused depthwiseConv2d, empty output': () =>
      tf.fused.depthwiseConv2d({
        x: tf.ones([2, 2, 2, 1]) as tf.Tensor4D,
        filter: tf.ones([3, 3, 1, 2]) as tf.Tensor4D,
        strides: 1,
        pad: 'valid',
        bias: tf.ones([2]),
      }),
    'fused conv2d with bias and relu, 0 input channels': () =>
      tf.fused.conv2d({
        x: tf.ones([1, 4, 4, 0]) as tf.Tensor4D,
        filter: tf.ones([3, 3, 0, 2]) as tf.Tensor4D,
        strides: 1,
        pad: 'same',
        bias: tf.tensor1d([0.5, -0.5]),
        activation: 'relu',
      }),
    'fused matMul with bias, inner dimension 0': () =>
      tf.fused.matMul({a: tf.ones([3, 0]), b: tf.ones([0, 2]), bias: tf.tensor1d([1, -2])}),
    'fused matMul aᵀ with bias and elu, inner dimension 0': () =>
      tf.fused.matMul({
        // Batch 1: stock tfjs-backend-wasm broadcasts the bias wrongly for batched fused
        // products (a separate bug, with or without an empty sum).
        a: tf.ones([1, 0, 3]),
        b: tf.ones([1, 0, 2]),
        transposeA: true,
        bias: tf.tensor1d([1, -2]),
        activation: 'elu',
      }),
    'conv2d, 0 input channels': () =>
      tf.conv2d(
        tf.ones([1, 4, 4, 0]) as tf.Tensor4D,
        tf.ones([3, 3, 0, 2]) as tf.Tensor4D,
        1,
        'same',
      ),
  };
  for (const [what, op] of Object.entries(forwards)) {
    it(`forward ${what} (the stock kernel corrupted the heap or returned stale memory)`, async () => {
      const {expected, actual} = await onBoth(() => read(op()));
      expect(actual.shape).toEqual(expected.shape);
      expect(Array.from(actual.values)).toEqual(Array.from(expected.values));
      // The heap is intact: a later kernel still computes correctly.
      const after = tf.tidy(() => tf.matMul(tf.ones([4, 8]), tf.ones([8, 3])).dataSync());
      expect(Array.from(after)).toEqual(new Array(12).fill(8));
    });
  }

  it('trainOnBatch on an empty batch leaves the weights unchanged', async () => {
    const run = async (backend: 'cpu' | 'wasm') => {
      await useBackend(backend);
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({
            inputShape: [5, 5, 1],
            filters: 2,
            kernelSize: 3,
            padding: 'same',
            kernelInitializer: tf.initializers.glorotUniform({seed: 1}),
          }),
          tf.layers.flatten(),
          tf.layers.dense({units: 3, kernelInitializer: tf.initializers.glorotUniform({seed: 2})}),
        ],
      });
      // Plain SGD: a zero gradient leaves the weights bit-identical.
      model.compile({optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError'});
      const before = model.getWeights().map((w) => w.dataSync().slice());
      const xs = tf.zeros([0, 5, 5, 1]);
      const ys = tf.zeros([0, 3]);
      if (backend === 'wasm') dirtyHeap();
      await model.trainOnBatch(xs, ys);
      const after = model.getWeights().map((w) => w.dataSync().slice());
      tf.dispose([xs, ys]);
      model.dispose();
      return {before, after};
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    expect(cpu.after).toEqual(cpu.before);
    expect(wasm.after).toEqual(wasm.before);
  });
});
