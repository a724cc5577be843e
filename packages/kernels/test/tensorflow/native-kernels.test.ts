import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {afterAll, beforeAll, beforeEach, describe, expect, it, vi} from 'vitest';
import {
  ensureAmpKernels,
  getComputeFormat,
  type NativeDispatch,
  cpuFeatures,
  quantize,
  fasterThanFloat32,
  nativeKernelReport,
  nativeKernelSupport,
  setNativeDispatch,
  withComputeFormat,
} from '../../src/index.js';
import type {NativeOpName} from '../../src/native/probe.js';
import type {FormatName} from '../../src/formats/format-spec.js';
import {tensorflowKernelOverrides} from '../../src/kernels/tensorflow/index.js';
import {installOverrides, uninstallOverrides} from '../../src/native/overrides.js';
import {forceNativeOpSupport} from '../../src/native/probe.js';
import {
  accumulation,
  type ConvProblem,
  convOracles,
  convOutShape,
  expectMatchesOracle,
  materialize,
  matMulOracle,
  OpSpy,
  productOp,
  roundingMode,
  values,
} from './support.js';
import {isElementwiseOpSupported} from '../../src/native/probe.js';
import {matMulSumsInFloat32} from '../../src/native/half-product.js';
import {asNodeBackend} from '../../src/native/binding.js';

const FORMATS: readonly FormatName[] = ['float16', 'bfloat16'];

const CONVS: Readonly<Record<string, ConvProblem>> = {
  'conv same 3x3': {
    x: [2, 7, 7, 3],
    filter: [3, 3, 3, 4],
    strides: 1,
    pad: 'same',
    depthwise: false,
  },
  'conv valid stride 2': {
    x: [1, 9, 8, 5],
    filter: [3, 2, 5, 3],
    strides: 2,
    pad: 'valid',
    depthwise: false,
  },
  'depthwise same 3x3 ×2': {
    x: [2, 6, 6, 3],
    filter: [3, 3, 3, 2],
    strides: 1,
    pad: 'same',
    depthwise: true,
  },
  'depthwise valid stride 2': {
    x: [1, 9, 7, 4],
    filter: [2, 3, 4, 1],
    strides: 2,
    pad: 'valid',
    depthwise: true,
  },
};

/** The TF ops one convolution's forward and two gradients run, sorted. */
function convOps(depthwise: boolean): string[] {
  const base = depthwise ? 'DepthwiseConv2dNative' : 'Conv2D';
  return [base, `${base}BackpropFilter`, `${base}BackpropInput`].sort();
}

function conv(p: ConvProblem, x: tf.Tensor4D, f: tf.Tensor4D): tf.Tensor4D {
  return p.depthwise
    ? tf.depthwiseConv2d(x, f, p.strides, p.pad, 'NHWC', p.dilations ?? 1)
    : tf.conv2d(x, f, p.strides, p.pad, 'NHWC', p.dilations ?? 1);
}

describeBackends(['tensorflow'], () => {
  let spy: OpSpy;
  let previousDispatch: NativeDispatch;
  beforeAll(() => {
    // These tests check each native kernel itself, fast or not, whatever its accumulation.
    previousDispatch = setNativeDispatch('all');
    ensureAmpKernels('tensorflow');
    // Probe every op once now, so that the spy below sees only the work of each test.
    for (const format of FORMATS) nativeKernelSupport(format);
    // And the fused epilogues' element-wise ops.
    const node = asNodeBackend(tf.backend())!;
    for (const format of FORMATS) {
      for (const op of ['AddV2', 'LeakyRelu', 'Relu', 'Relu6']) {
        isElementwiseOpSupported(node, op, format);
      }
      matMulSumsInFloat32(node, format);
    }
    spy = new OpSpy();
  });
  afterAll(() => {
    spy.restore();
    setNativeDispatch(previousDispatch);
  });
  beforeEach(() => spy.reset());

  describe.each(FORMATS)('withComputeFormat(%s)', (format) => {
    const mode = roundingMode(format);
    // The op a product of two matrices (or batches of one) runs: MatMul where it sums in float32.
    const product = () => productOp(format);

    it.each([
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ])(
      'runs BatchMatMul natively (transposeA %s, transposeB %s) and matches the oracle',
      async (ta, tb) => {
        const [m, k, n] = [9, 70, 6];
        const av = values(m * k, 1, format);
        const bv = values(k * n, 2, format);
        const a = tf.tensor2d(av, ta ? [k, m] : [m, k]);
        const b = tf.tensor2d(bv, tb ? [n, k] : [k, n]);
        materialize(a, b);
        const y = await expectNoLeaks(
          () => withComputeFormat(format, () => tf.matMul(a, b, ta, tb)),
          1,
        );
        expect(spy.nativeOps(format)).toEqual([product()]);
        expectMatchesOracle(
          y.dataSync() as Float32Array,
          matMulOracle(av, bv, m, k, n, ta, tb),
          format,
          mode,
          'C',
        );
        tf.dispose([a, b, y]);
      },
    );

    it('runs a batch of one matrix as MatMul, on the copy of the matrix it was reshaped from', async () => {
      const [m, k, n] = [6, 20, 3];
      const av = values(m * k, 14, format);
      const bv = values(k * n, 15, format);
      const a2 = tf.tensor2d(av, [m, k]);
      const b = tf.tensor2d(bv, [k, n]);
      materialize(a2, b);
      // a2's 16-bit copy is cached by a first product; tfjs then reshapes a2 to [1, m, k].
      const first = withComputeFormat(format, () => tf.matMul(a2, b));
      const a3 = tf.reshape(a2, [1, m, k]);
      const b3 = tf.reshape(b, [1, k, n]);
      spy.reset();
      const y = withComputeFormat(format, () => tf.matMul(a3, b3));
      expect(y.shape).toEqual([1, m, n]);
      if (product() === 'MatMul') {
        // a3 reads a2's copy as it is; b3 (reshaped too) reads b's; the [m, n] result is
        // reshaped to [1, m, n]: one Reshape of 16-bit values, no Cast.
        expect(spy.calls.filter((c) => c.dtype !== 1 && c.dtype !== 3).map((c) => c.op)).toEqual([
          'MatMul',
          'Reshape',
        ]);
        expect(spy.calls.filter((c) => c.op === 'Cast')).toEqual([]);
      }
      expectMatchesOracle(
        y.dataSync() as Float32Array,
        matMulOracle(av, bv, m, k, n),
        format,
        mode,
        'C',
      );
      tf.dispose([a2, b, first, a3, b3, y]);
    });

    it('reads a batch of one reshaped from a matrix of another shape with its own layout', () => {
      // [k, m] reshaped to [1, m, k] is not that matrix: its copy must not stand in for it.
      const [m, k, n] = [3, 8, 5];
      const raw = values(m * k, 18, format);
      const bv = values(k * n, 19, format);
      const other = tf.tensor2d(raw, [k, m]);
      const b = tf.tensor2d(bv, [k, n]);
      materialize(other, b);
      const first = withComputeFormat(format, () => tf.matMul(other, other, true)); // caches its copy
      const a3 = tf.reshape(other, [1, m, k]);
      const y = withComputeFormat(format, () => tf.matMul(a3, tf.reshape(b, [1, k, n])));
      expect(y.shape).toEqual([1, m, n]);
      // a3 row-major is `raw` read as [m, k].
      expectMatchesOracle(
        y.dataSync() as Float32Array,
        matMulOracle(raw, bv, m, k, n),
        format,
        mode,
        'C',
      );
      tf.dispose([other, b, first, a3, y]);
    });

    it('runs a product as BatchMatMulV2 where MatMul does not sum in float32', () => {
      const a = tf.tensor2d(values(4 * 8, 16, format), [4, 8]);
      const b = tf.tensor2d(values(8 * 2, 17, format), [8, 2]);
      materialize(a, b);
      forceNativeOpSupport('accumulation/MatMul', format, false);
      try {
        spy.reset();
        tf.dispose(withComputeFormat(format, () => tf.matMul(a, b)));
        expect(spy.nativeOps(format)).toEqual(['BatchMatMulV2']);
      } finally {
        forceNativeOpSupport('accumulation/MatMul', format, null);
      }
      tf.dispose([a, b]);
    });

    it('runs a batched, broadcast BatchMatMul natively', async () => {
      const [batch, m, k, n] = [3, 4, 33, 5];
      const av = values(batch * m * k, 3, format);
      const bv = values(k * n, 4, format);
      const a = tf.tensor3d(av, [batch, m, k]);
      const b = tf.tensor3d(bv, [1, k, n]);
      materialize(a, b);
      const y = await expectNoLeaks(() => withComputeFormat(format, () => tf.matMul(a, b)), 1);
      expect(y.shape).toEqual([batch, m, n]);
      // A batch of three is no matrix: TF's batched kernel.
      expect(spy.nativeOps(format)).toEqual(['BatchMatMulV2']);
      const got = y.dataSync() as Float32Array;
      for (let i = 0; i < batch; i++) {
        const oracle = matMulOracle(av.subarray(i * m * k, (i + 1) * m * k), bv, m, k, n);
        expectMatchesOracle(
          got.subarray(i * m * n, (i + 1) * m * n),
          oracle,
          format,
          mode,
          `C[${i}]`,
        );
      }
      tf.dispose([a, b, y]);
    });

    it('runs both BatchMatMul gradients natively after the context has ended', async () => {
      const [m, k, n] = [7, 40, 5];
      const av = values(m * k, 5, format);
      const bv = values(k * n, 6, format);
      const dyv = values(m * n, 7, format);
      const [a, b, dy] = [
        tf.tensor2d(av, [m, k]),
        tf.tensor2d(bv, [k, n]),
        tf.tensor2d(dyv, [m, n]),
      ];
      materialize(a, b, dy);
      const [da, db] = await expectNoLeaks(
        () =>
          tf.grads((x: tf.Tensor, w: tf.Tensor) =>
            tf.sum(
              tf.mul(
                withComputeFormat(format, () => tf.matMul(x, w)),
                dy,
              ),
            ),
          )([a, b]),
        2,
      );
      // Forward C = A·B, dA = dy·Bᵀ, dB = Aᵀ·dy: three native matmuls, two of them in backward.
      expect(spy.nativeOps(format)).toEqual([product(), product(), product()]);
      expectMatchesOracle(
        da!.dataSync() as Float32Array,
        matMulOracle(dyv, bv, m, n, k, false, true),
        format,
        mode,
        'dA',
      );
      expectMatchesOracle(
        db!.dataSync() as Float32Array,
        matMulOracle(av, dyv, k, m, n, true, false),
        format,
        mode,
        'dB',
      );
      tf.dispose([a, b, dy, da!, db!]);
    });

    it('runs _FusedMatMul natively with its bias + relu epilogue in the format', async () => {
      const [m, k, n] = [6, 50, 8];
      const av = values(m * k, 8, format);
      const bv = values(k * n, 9, format);
      const biasv = values(n, 10, 'float32');
      const [a, b, bias] = [tf.tensor2d(av, [m, k]), tf.tensor2d(bv, [k, n]), tf.tensor1d(biasv)];
      materialize(a, b, bias);
      const y = await expectNoLeaks(
        () => withComputeFormat(format, () => tf.fused.matMul({a, b, bias, activation: 'relu'})),
        1,
      );
      expect(spy.nativeOps(format)).toEqual([product(), 'AddV2', 'Relu']);
      // relu(round(C + round(bias))) with C as the native kernel makes it: TF adds 16-bit values
      // in float32 and rounds the sum to the format, as Keras's mixed Dense layer does.
      const c = withComputeFormat(format, () => tf.matMul(a, b));
      const want = tf.relu(quantize(tf.add(c, quantize(bias, format)), format));
      expectBitsEqual(
        y.dataSync() as Float32Array,
        want.dataSync() as Float32Array,
        'relu(C + bias)',
      );
      expectMatchesOracle(
        c.dataSync() as Float32Array,
        matMulOracle(av, bv, m, k, n),
        format,
        mode,
        'C',
      );
      tf.dispose([a, b, bias, y, c, want]);
    });

    it('runs the gradients of a linear _FusedMatMul (a customGrad op) natively', async () => {
      const [m, k, n] = [5, 24, 4];
      const a = tf.tensor2d(values(m * k, 11, format), [m, k]);
      const b = tf.tensor2d(values(k * n, 12, format), [k, n]);
      const bias = tf.tensor1d(values(n, 13, format));
      materialize(a, b, bias);
      const grads = await expectNoLeaks(
        () =>
          tf.grads((x: tf.Tensor, w: tf.Tensor, c: tf.Tensor) =>
            tf.sum(
              withComputeFormat(format, () =>
                tf.fused.matMul({a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias: c}),
              ),
            ),
          )([a, b, bias]),
        3,
      );
      // With a tape recording and a linear activation, tfjs fuses and differentiates with its
      // own closure, which calls BatchMatMul twice; both inherit the format. The bias is added in
      // the format in the forward pass.
      expect(spy.nativeOps(format)).toEqual([product(), 'AddV2', product(), product()]);
      tf.dispose([a, b, bias, ...grads]);
    });

    for (const [name, p] of Object.entries(CONVS)) {
      it(`runs ${name} and both gradients natively and matches the oracles`, async () => {
        const xv = values(
          p.x.reduce((s, v) => s * v),
          20,
          format,
        );
        const fv = values(
          p.filter.reduce((s, v) => s * v),
          21,
          format,
        );
        const dyv = values(
          convOutShape(p).reduce((s, v) => s * v),
          22,
          format,
        );
        const oracles = convOracles(p, xv, fv, dyv);
        const [x, f, dy] = [
          tf.tensor4d(xv, p.x),
          tf.tensor4d(fv, p.filter),
          tf.tensor(dyv, oracles.yShape),
        ];
        materialize(x, f, dy);
        let y: tf.Tensor | undefined;
        const [dx, df] = await expectNoLeaks(
          () =>
            tf.grads((xi: tf.Tensor, fi: tf.Tensor) => {
              const out = withComputeFormat(format, () =>
                conv(p, xi as tf.Tensor4D, fi as tf.Tensor4D),
              );
              y = tf.keep(out.clone());
              return tf.sum(tf.mul(out, dy));
            })([x, f]),
          3,
        );
        const [op, filterOp, inputOp] = convOps(p.depthwise);
        expect([...spy.nativeOps(format)].sort()).toEqual([op, filterOp, inputOp]);
        const got = (t: tf.Tensor) => t.dataSync() as Float32Array;
        expectMatchesOracle(
          got(y!),
          oracles.y,
          format,
          mode,
          'y',
          accumulation(op! as NativeOpName, format),
        );
        expectMatchesOracle(
          got(dx!),
          oracles.dx,
          format,
          mode,
          'dx',
          accumulation(inputOp! as NativeOpName, format),
        );
        expectMatchesOracle(
          got(df!),
          oracles.dFilter,
          format,
          mode,
          'dFilter',
          accumulation(filterOp! as NativeOpName, format),
        );
        tf.dispose([x, f, dy, y!, dx!, df!]);
      });
    }

    it('runs Conv2D natively with dilations and with explicit padding', async () => {
      const cases: ConvProblem[] = [
        {
          x: [1, 9, 9, 2],
          filter: [3, 3, 2, 3],
          strides: 1,
          pad: 'same',
          dilations: 2,
          depthwise: false,
        },
        {
          x: [1, 6, 5, 2],
          filter: [3, 3, 2, 2],
          strides: 1,
          pad: [
            [0, 0],
            [1, 2],
            [0, 1],
            [0, 0],
          ],
          depthwise: false,
        },
      ];
      for (const p of cases) {
        const xv = values(
          p.x.reduce((s, v) => s * v),
          30,
          format,
        );
        const fv = values(
          p.filter.reduce((s, v) => s * v),
          31,
          format,
        );
        const [x, f] = [tf.tensor4d(xv, p.x), tf.tensor4d(fv, p.filter)];
        materialize(x, f);
        spy.reset();
        const y = await expectNoLeaks(() => withComputeFormat(format, () => conv(p, x, f)), 1);
        expect(spy.nativeOps(format)).toEqual(['Conv2D']);
        const oracles = convOracles(p, xv, fv, new Float32Array(y.size));
        expectMatchesOracle(
          y.dataSync() as Float32Array,
          oracles.y,
          format,
          mode,
          'y',
          accumulation('Conv2D', format),
        );
        tf.dispose([x, f, y]);
      }
    });

    it('runs FusedConv2D and FusedDepthwiseConv2D natively with their epilogues in the format', async () => {
      const x = tf.tensor4d(values(2 * 6 * 6 * 3, 40, format), [2, 6, 6, 3]);
      const f = tf.tensor4d(values(3 * 3 * 3 * 4, 41, format), [3, 3, 3, 4]);
      const fd = tf.tensor4d(values(3 * 3 * 3 * 2, 42, format), [3, 3, 3, 2]);
      const bias = tf.tensor1d(values(4, 43, 'float32'));
      const biasD = tf.tensor1d(values(6, 44, 'float32'));
      materialize(x, f, fd, bias, biasD);
      const [y, yd] = await expectNoLeaks(
        () =>
          withComputeFormat(format, () => [
            tf.fused.conv2d({x, filter: f, strides: 1, pad: 'same', bias, activation: 'relu6'}),
            tf.fused.depthwiseConv2d({
              x,
              filter: fd,
              strides: 1,
              pad: 'same',
              bias: biasD,
              activation: 'elu',
            }),
          ]),
        2,
      );
      // relu6 runs in the format; elu does not (TF's 16-bit expm1 is inaccurate near 0): the
      // depthwise epilogue is float32 on the widened product.
      expect(spy.nativeOps(format)).toEqual(['Conv2D', 'AddV2', 'Relu6', 'DepthwiseConv2dNative']);
      const [c, cd] = withComputeFormat(format, () => [
        tf.conv2d(x, f, 1, 'same'),
        tf.depthwiseConv2d(x, fd, 1, 'same'),
      ]);
      const round = (t: tf.Tensor) => quantize(t, format);
      const want = tf.relu6(round(tf.add(c!, round(bias))));
      const wantD = tf.elu(tf.add(cd!, biasD));
      expectBitsEqual(
        y!.dataSync() as Float32Array,
        want.dataSync() as Float32Array,
        'FusedConv2D',
      );
      expectBitsEqual(
        yd!.dataSync() as Float32Array,
        wantD.dataSync() as Float32Array,
        'FusedDepthwiseConv2D',
      );
      tf.dispose([x, f, fd, bias, biasD, y!, yd!, c!, cd!, want, wantD]);
    });

    it('runs the gradients of a linear FusedConv2D (a customGrad op) natively', async () => {
      const x = tf.tensor4d(values(1 * 5 * 5 * 2, 50, format), [1, 5, 5, 2]);
      const f = tf.tensor4d(values(3 * 3 * 2 * 3, 51, format), [3, 3, 2, 3]);
      const bias = tf.tensor1d(values(3, 52, format));
      materialize(x, f, bias);
      const grads = await expectNoLeaks(
        () =>
          tf.grads((xi: tf.Tensor, fi: tf.Tensor, bi: tf.Tensor) =>
            tf.sum(
              withComputeFormat(format, () =>
                tf.fused.conv2d({
                  x: xi as tf.Tensor4D,
                  filter: fi as tf.Tensor4D,
                  strides: 1,
                  pad: 'same',
                  bias: bi,
                }),
              ),
            ),
          )([x, f, bias]),
        3,
      );
      // The forward adds the bias in the format; both gradients follow the format.
      expect([...spy.nativeOps(format)].sort()).toEqual(['AddV2', ...convOps(false)]);
      tf.dispose([x, f, bias, ...grads]);
    });

    it('runs conv2dTranspose (Conv2DBackpropInput as a forward op) natively', async () => {
      const p: ConvProblem = {
        x: [1, 8, 8, 3],
        filter: [3, 3, 3, 2],
        strides: 2,
        pad: 'same',
        depthwise: false,
      };
      const fv = values(3 * 3 * 3 * 2, 60, format);
      const dyv = values(1 * 4 * 4 * 2, 61, format);
      const [f, dy] = [tf.tensor4d(fv, p.filter), tf.tensor4d(dyv, [1, 4, 4, 2])];
      materialize(f, dy);
      const y = await expectNoLeaks(
        () => withComputeFormat(format, () => tf.conv2dTranspose(dy, f, p.x, 2, 'same')),
        1,
      );
      expect(spy.nativeOps(format)).toEqual(['Conv2DBackpropInput']);
      const oracles = convOracles(p, new Float32Array(8 * 8 * 3), fv, dyv);
      expectMatchesOracle(
        y.dataSync() as Float32Array,
        oracles.dx,
        format,
        mode,
        'conv2dTranspose',
        accumulation('Conv2DBackpropInput', format),
      );
      tf.dispose([f, dy, y]);
    });
  });

  describe('outside withComputeFormat', () => {
    /** One call of every overridden kernel (forward ops and, through tf.grads, the backprops). */
    function everyKernel(): tf.Tensor[] {
      const x = tf.tensor4d(values(2 * 6 * 6 * 3, 70, 'float32'), [2, 6, 6, 3]);
      const f = tf.tensor4d(values(3 * 3 * 3 * 4, 71, 'float32'), [3, 3, 3, 4]);
      const fd = tf.tensor4d(values(3 * 3 * 3 * 2, 72, 'float32'), [3, 3, 3, 2]);
      const a = tf.tensor2d(values(5 * 33, 73, 'float32'), [5, 33]);
      const b = tf.tensor2d(values(33 * 4, 74, 'float32'), [33, 4]);
      const bias = tf.tensor1d(values(4, 75, 'float32'));
      const out = [
        tf.matMul(a, b),
        tf.fused.matMul({a, b, bias, activation: 'relu'}),
        tf.fused.conv2d({x, filter: f, strides: 1, pad: 'same', bias, activation: 'relu'}),
        tf.fused.depthwiseConv2d({x, filter: fd, strides: 2, pad: 'valid'}),
        ...tf.grads((xi: tf.Tensor, fi: tf.Tensor) =>
          tf.sum(tf.conv2d(xi as tf.Tensor4D, fi as tf.Tensor4D, 1, 'same')),
        )([x, f]),
        ...tf.grads((xi: tf.Tensor, fi: tf.Tensor) =>
          tf.sum(tf.depthwiseConv2d(xi as tf.Tensor4D, fi as tf.Tensor4D, 1, 'valid')),
        )([x, fd]),
        ...tf.grads((ai: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.matMul(ai, bi)))([a, b]),
      ];
      tf.dispose([x, f, fd, a, b, bias]);
      return out;
    }

    it("gives tfjs-node's own results bit for bit and runs no half-precision op", () => {
      const ours = everyKernel();
      expect(spy.halfOps()).toEqual([]);
      expect(tf.getKernel('Conv2D', 'tensorflow')?.kernelFunc).toBe(
        tensorflowKernelOverrides.find((k) => k.kernelName === 'Conv2D')!.kernelFunc,
      );
      uninstallOverrides(tensorflowKernelOverrides);
      try {
        expect(tf.getKernel('Conv2D', 'tensorflow')?.kernelFunc).not.toBe(
          tensorflowKernelOverrides.find((k) => k.kernelName === 'Conv2D')!.kernelFunc,
        );
        const theirs = everyKernel();
        for (let i = 0; i < ours.length; i++) {
          expectBitsEqual(
            ours[i]!.dataSync() as Float32Array,
            theirs[i]!.dataSync() as Float32Array,
            `result ${i}`,
          );
        }
        tf.dispose(theirs);
      } finally {
        installOverrides(tensorflowKernelOverrides);
        tf.dispose(ours);
      }
    });

    it('differentiates a float32 forward in float32 even on a tape that also ran a native op', () => {
      const a = tf.tensor2d(values(4 * 8, 80, 'float32'), [4, 8]);
      const b = tf.tensor2d(values(8 * 3, 81, 'float32'), [8, 3]);
      const c = tf.tensor2d(values(8 * 5, 82, 'float32'), [8, 5]);
      const [da] = tf.grads((x: tf.Tensor) =>
        tf.add(
          tf.sum(withComputeFormat('float16', () => tf.matMul(x, b))),
          tf.sum(tf.matMul(x, c)),
        ),
      )([a]);
      // Native: the forward x·b and its dx. The float32 x·c product reads the same x (marked by
      // the native forward) on the same tape, but in the forward pass: it and its gradient
      // dx = dy·cᵀ stay float32.
      expect(spy.nativeOps('float16')).toEqual([productOp('float16'), productOp('float16')]);
      expect(spy.calls.filter((c) => c.op === 'BatchMatMulV2' && c.dtype === 1)).toHaveLength(2);
      tf.dispose([a, b, c, da!]);
    });

    it('runs float32 inside a nested float32 context and restores the outer format', () => {
      const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
      withComputeFormat('bfloat16', () => {
        expect(getComputeFormat()).toBe('bfloat16');
        tf.dispose(withComputeFormat('float32', () => tf.matMul(a, a)));
        expect(getComputeFormat()).toBe('bfloat16');
        tf.dispose(tf.matMul(a, a));
      });
      expect(getComputeFormat()).toBeNull();
      expect(spy.halfOps()).toEqual([productOp('bfloat16')]);
      a.dispose();
    });

    it('runs the backend kernel under tf32 and float8 contexts and for int32 inputs', () => {
      const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
      const n = tf.tensor2d([300, 3, -5, 1], [2, 2], 'int32');
      tf.dispose(withComputeFormat('tf32', () => tf.matMul(a, a)));
      tf.dispose(withComputeFormat('float8_e4m3fn', () => tf.matMul(a, a)));
      const product = withComputeFormat('float16', () => tf.matMul(n, n));
      expect(product.dtype).toBe('int32');
      // 89985 is past float16's 65504: exact only because the int32 kernel ran.
      expect(Array.from(product.dataSync())).toEqual([89985, 903, -1505, -14]);
      // T: 1 = float32, 3 = int32; no 16-bit op ran.
      expect(spy.calls.filter((c) => c.op === 'BatchMatMulV2').map((c) => c.dtype)).toEqual([
        1, 1, 3,
      ]);
      tf.dispose([a, n, product]);
    });
  });

  describe('nativeKernelSupport', () => {
    it('lists every native kernel for float16 and bfloat16 on tfjs-node (CPU)', () => {
      const all = [
        'BatchMatMul',
        'Conv2D',
        'Conv2DBackpropFilter',
        'Conv2DBackpropInput',
        'DepthwiseConv2dNative',
        'DepthwiseConv2dNativeBackpropFilter',
        'DepthwiseConv2dNativeBackpropInput',
        'FusedConv2D',
        'FusedDepthwiseConv2D',
        '_FusedMatMul',
      ];
      expect(nativeKernelSupport('float16')).toEqual(all);
      expect(nativeKernelSupport('bfloat16', 'tensorflow')).toEqual(all);
    });

    it('lists, under each dispatch mode, the kernels whose probes and device allow it', () => {
      const cpu = cpuFeatures();
      console.log(`tfjs-node suites on ${cpu.model} [${cpu.flags.join(' ')}]`);
      try {
        for (const format of FORMATS) {
          setNativeDispatch('accurate');
          const report = nativeKernelReport(format);
          expect(report).toHaveLength(10);
          for (const row of report) {
            const wide = accumulation(row.op, format) === 'wide';
            expect(row.native, `${format} ${row.kernel}: ${row.detail}`).toBe(wide);
            expect(row.reason).toBe(wide ? 'native' : 'accumulates-in-format');
          }
          setNativeDispatch('auto');
          const speed = fasterThanFloat32(format, 'cpu', cpu);
          for (const row of nativeKernelReport(format)) {
            const wide = accumulation(row.op, format) === 'wide';
            expect(row.native, `${format} ${row.kernel}: ${row.detail}`).toBe(wide && speed.faster);
            if (wide && !speed.faster) {
              expect(row.reason).toBe('not-faster');
              expect(row.detail).toContain(cpu.flags.join(' '));
            }
          }
          setNativeDispatch('none');
          expect(nativeKernelSupport(format)).toEqual([]);
          expect(new Set(nativeKernelReport(format).map((r) => r.reason))).toEqual(
            new Set(['dispatch-none']),
          );
        }
      } finally {
        setNativeDispatch('all');
      }
    });

    it('runs a kernel the dispatch rejects in float32, bit for bit, with one notice', () => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      setNativeDispatch('none');
      try {
        const a = tf.tensor2d(values(6, 70, 'float16'), [2, 3]);
        const b = tf.tensor2d(values(6, 71, 'float16'), [3, 2]);
        const want = tf.matMul(a, b);
        const got = withComputeFormat('float16', () => tf.matMul(a, b));
        const again = withComputeFormat('float16', () => tf.matMul(a, b));
        expectBitsEqual(got.dataSync() as Float32Array, want.dataSync() as Float32Array);
        expect(spy.halfOps()).toEqual([]);
        const notices = warn.mock.calls
          .map((c) => String(c[0]))
          .filter((m) => m.includes('BatchMatMul'));
        expect(notices).toHaveLength(1);
        expect(notices[0]).toMatch(/native kernels are off/);
        tf.dispose([a, b, want, got, again]);
      } finally {
        setNativeDispatch('all');
        warn.mockRestore();
      }
    });

    it('lists nothing for other formats and other backends', () => {
      for (const format of ['float32', 'tf32', 'float8_e4m3fn', 'float8_e5m2'] as const) {
        expect(nativeKernelSupport(format)).toEqual([]);
      }
      expect(nativeKernelSupport('float16', 'cpu')).toEqual([]);
      expect(nativeKernelSupport('bfloat16', 'webgl')).toEqual([]);
    });

    it('leaves out an op the device lacks, and the kernel then runs float32 with one notice', () => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      forceNativeOpSupport('DepthwiseConv2dNative', 'bfloat16', false);
      try {
        const listed = nativeKernelSupport('bfloat16');
        expect(listed).not.toContain('DepthwiseConv2dNative');
        expect(listed).not.toContain('FusedDepthwiseConv2D');
        expect(listed).toContain('DepthwiseConv2dNativeBackpropInput');
        const x = tf.tensor4d(values(1 * 4 * 4 * 2, 90, 'bfloat16'), [1, 4, 4, 2]);
        const f = tf.tensor4d(values(2 * 2 * 2 * 1, 91, 'bfloat16'), [2, 2, 2, 1]);
        const want = tf.depthwiseConv2d(x, f, 1, 'valid');
        const got = withComputeFormat('bfloat16', () => tf.depthwiseConv2d(x, f, 1, 'valid'));
        const again = withComputeFormat('bfloat16', () => tf.depthwiseConv2d(x, f, 1, 'valid'));
        expectBitsEqual(got.dataSync() as Float32Array, want.dataSync() as Float32Array);
        expect(spy.halfOps()).toEqual([]);
        const notices = warn.mock.calls
          .map((c) => String(c[0]))
          .filter((m) => m.includes('DepthwiseConv2dNative'));
        expect(notices).toHaveLength(1);
        expect(notices[0]).toMatch(
          /TensorFlow has no bfloat16 DepthwiseConv2dNative kernel on this CPU/,
        );
        tf.dispose([x, f, want, got, again]);
      } finally {
        forceNativeOpSupport('DepthwiseConv2dNative', 'bfloat16', null);
        warn.mockRestore();
      }
    });

    it('rejects an unknown format and a non-string backend name', () => {
      expect(() => nativeKernelSupport('float61' as FormatName)).toThrow(
        /nativeKernelSupport: unknown format 'float61'\. Allowed: bfloat16, float16/,
      );
      expect(() => nativeKernelSupport('float16', 3 as unknown as string)).toThrow(
        /nativeKernelSupport: backendName must be a string; got 3/,
      );
    });
  });

  describe('withComputeFormat arguments', () => {
    it('rejects an unknown format, a non-function and an async function', () => {
      expect(() => withComputeFormat('half' as FormatName, () => 1)).toThrow(
        /withComputeFormat: unknown format 'half'\. Allowed: bfloat16, float16, float32/,
      );
      expect(() => withComputeFormat('float16', 5 as unknown as () => number)).toThrow(
        /withComputeFormat: fn must be a function; got 5/,
      );
      expect(() => withComputeFormat('float16', async () => 1)).toThrow(
        /withComputeFormat: fn must be a synchronous function; got one that returned a Promise/,
      );
      expect(getComputeFormat()).toBeNull();
    });

    it('ends the context when fn throws', () => {
      expect(() =>
        withComputeFormat('float16', () => {
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(getComputeFormat()).toBeNull();
    });
  });
});
