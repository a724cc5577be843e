// The same half-precision work, run once on tfjs-node-gpu (in the vitest process) and once on
// tfjs-node (fixtures/cpu-reference.ts, in a child process: one process loads one libtensorflow),
// so that the two builds' results can be compared bit for bit. Every native kernel of
// @tfjs-amp/kernels runs here in float16 and bfloat16: MatMul (plain and fused, with both
// gradients), Conv2D and DepthwiseConv2dNative (plain and fused, with both gradients), and a
// few SGD steps of a small MLP under mixed precision.
import * as tf from '@tensorflow/tfjs';
import type {FormatName} from '../../src/formats/format-spec.js';
import {setNativeDispatch, withComputeFormat} from '../../src/index.js';
import {applyMixed} from '../tensorflow/mixed.js';
import {values} from '../tensorflow/support.js';

/** Result name → float32 bit patterns (uint32), so that JSON carries them exactly. */
export type WorkloadBits = Record<string, number[]>;

const FORMATS: readonly FormatName[] = ['float16', 'bfloat16'];

function bitsOf(t: tf.Tensor): number[] {
  const f = t.dataSync() as Float32Array;
  return Array.from(new Uint32Array(f.buffer, f.byteOffset, f.length));
}

function kernels(format: FormatName): Record<string, tf.Tensor> {
  const a = tf.tensor2d(values(17 * 33, 1, format), [17, 33]);
  const b = tf.tensor2d(values(33 * 9, 2, format), [33, 9]);
  const bias = tf.tensor1d(values(9, 3, format));
  const x = tf.tensor4d(values(2 * 7 * 7 * 3, 4, format), [2, 7, 7, 3]);
  const f = tf.tensor4d(values(3 * 3 * 3 * 4, 5, format), [3, 3, 3, 4]);
  const fd = tf.tensor4d(values(3 * 3 * 3 * 2, 6, format), [3, 3, 3, 2]);
  const cbias = tf.tensor1d(values(4, 7, format));
  const out = withComputeFormat(format, () => {
    const [da, db] = tf.grads((ai: tf.Tensor, bi: tf.Tensor) =>
      tf.sum(tf.matMul(ai as tf.Tensor2D, bi as tf.Tensor2D)),
    )([a, b]);
    const [dx, df] = tf.grads((xi: tf.Tensor, fi: tf.Tensor) =>
      tf.sum(tf.conv2d(xi as tf.Tensor4D, fi as tf.Tensor4D, 1, 'same')),
    )([x, f]);
    const [ddx, ddf] = tf.grads((xi: tf.Tensor, fi: tf.Tensor) =>
      tf.sum(tf.depthwiseConv2d(xi as tf.Tensor4D, fi as tf.Tensor4D, 2, 'valid')),
    )([x, fd]);
    return {
      matMul: tf.matMul(a, b),
      matMulTransposed: tf.matMul(b, a, true, true),
      fusedMatMul: tf.fused.matMul({a, b, bias, activation: 'relu'}),
      matMulDa: da!,
      matMulDb: db!,
      conv2d: tf.conv2d(x, f, 1, 'same'),
      fusedConv2d: tf.fused.conv2d({x, filter: f, strides: 2, pad: 'valid', bias: cbias}),
      conv2dDx: dx!,
      conv2dDfilter: df!,
      depthwise: tf.depthwiseConv2d(x, fd, 1, 'same'),
      fusedDepthwise: tf.fused.depthwiseConv2d({
        x,
        filter: fd,
        strides: 1,
        pad: 'same',
        activation: 'relu',
      }),
      depthwiseDx: ddx!,
      depthwiseDfilter: ddf!,
    };
  });
  tf.dispose([a, b, bias, x, f, fd, cbias]);
  return out;
}

/** Loss after each of 3 SGD steps and the final weights of a 20-16-3 MLP under mixed `format`. */
async function mlp(format: FormatName): Promise<Record<string, number[]>> {
  const init = (seed: number) => tf.initializers.glorotUniform({seed});
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [20],
        units: 16,
        activation: 'relu',
        kernelInitializer: init(1),
      }),
      tf.layers.dense({units: 3, kernelInitializer: init(2)}),
    ],
  });
  const optimizer = tf.train.sgd(0.05); // holds a learning-rate scalar: disposed below
  model.compile({optimizer, loss: 'meanSquaredError'});
  const undo = applyMixed(model, format, true);
  const xs = tf.tensor2d(values(32 * 20, 8, 'float32'), [32, 20]);
  const ys = tf.tensor2d(values(32 * 3, 9, 'float32'), [32, 3]);
  const losses: number[] = [];
  for (let i = 0; i < 3; i++) {
    losses.push((await model.trainOnBatch(xs, ys)) as number);
  }
  undo();
  const out: Record<string, number[]> = {
    losses: Array.from(new Uint32Array(Float32Array.from(losses).buffer)),
  };
  model.getWeights().forEach((w, i) => {
    out[`weight${i}`] = bitsOf(w);
  });
  tf.dispose([xs, ys]);
  model.dispose();
  optimizer.dispose();
  return out;
}

/**
 * Runs every workload on the current `tensorflow` backend with every native kernel allowed
 * (dispatch `all`, restored afterwards) and returns the results' bits. Leaves no tensor behind.
 */
export async function runWorkloads(): Promise<WorkloadBits> {
  const previous = setNativeDispatch('all');
  try {
    const out: WorkloadBits = {};
    for (const format of FORMATS) {
      const results = kernels(format);
      for (const [name, t] of Object.entries(results)) out[`${format} ${name}`] = bitsOf(t);
      tf.dispose(Object.values(results));
      for (const [name, bits] of Object.entries(await mlp(format)))
        out[`${format} mlp ${name}`] = bits;
    }
    return out;
  } finally {
    setNativeDispatch(previous);
  }
}
