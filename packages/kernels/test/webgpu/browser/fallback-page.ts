// Bundled by chromium.test.ts for headless Chromium, whose WebGPU adapter (SwiftShader) has no
// shader-f16: the float16 kernels must fall back to tfjs's float32 programs (one notice), the
// float16 AmpQuantize must stay bit-exact, and a model must train in float16 emulation through
// model.fit without losing the device. Results go to `window.ampResult`.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import {quantize, requestShaderF16, roundArray, withComputeFormat} from '@tfjs-amp/kernels';
import {applyMixed} from '../../tensorflow/mixed.js';

export interface PageResult {
  readonly backend: string;
  readonly requested: string;
  readonly deviceHasF16: boolean;
  readonly notices: string[];
  readonly matMulEqualsFloat32: boolean;
  readonly quantizeBitExact: boolean;
  readonly losses: number[];
  readonly deviceLost: boolean;
}

async function run(): Promise<PageResult> {
  const notices: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    notices.push(args.map(String).join(' '));
    warn(...args);
  };
  const requested = requestShaderF16();
  await tf.setBackend('webgpu');
  await tf.ready();
  const device = (
    tf.backend() as unknown as {device: {features: Set<string>; lost: Promise<unknown>}}
  ).device;
  let deviceLost = false;
  device.lost.then(() => {
    deviceLost = true;
  });

  // Same seeded inputs for both products; the float16 one must be the float32 kernel's result.
  const a = tf.randomUniform([24, 40], -1, 1, 'float32', 1);
  const b = tf.randomUniform([40, 9], -1, 1, 'float32', 2);
  const c16 = withComputeFormat('float16', () => tf.matMul(a, b));
  const c32 = tf.matMul(a, b);
  const [d16, d32] = [await c16.data(), await c32.data()];
  const matMulEqualsFloat32 = d16.every((v, i) => Object.is(v, d32[i]));
  tf.dispose([a, b, c16, c32]);

  // Every float16 rounding decision around a few hundred values, bit for bit.
  const bits = new Uint32Array(65536);
  for (let i = 0; i < bits.length; i++) bits[i] = (Math.imul(i, 0x9e3779b1) >>> 0) ^ (i << 13);
  const src = new Float32Array(bits.buffer);
  const x = tf.tensor1d(src);
  const y = quantize(x, 'float16');
  const got = new Uint32Array((await y.data()).buffer);
  const want = new Uint32Array(roundArray(src, 'float16').buffer);
  const quantizeBitExact = got.every((v, i) => v === want[i]);
  tf.dispose([x, y]);

  const model = tf.sequential({
    layers: [
      tf.layers.dense({inputShape: [16], units: 32, activation: 'relu'}),
      tf.layers.dense({units: 1}),
    ],
  });
  model.compile({optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError'});
  const undo = applyMixed(model, 'float16', true);
  const xs = tf.randomUniform([128, 16], -1, 1, 'float32', 3);
  const w = tf.randomUniform([16, 1], -1, 1, 'float32', 4);
  const ys = tf.tanh(tf.matMul(xs, w));
  const history = await model.fit(xs, ys, {epochs: 5, batchSize: 32, shuffle: false, verbose: 0});
  undo();
  tf.dispose([xs, w, ys]);
  model.dispose();
  console.warn = warn;
  return {
    backend: tf.getBackend(),
    requested,
    deviceHasF16: device.features.has('shader-f16'),
    notices: notices.filter((n) => n.includes('tfjs-amp')),
    matMulEqualsFloat32,
    quantizeBitExact,
    losses: history.history.loss as number[],
    deviceLost,
  };
}

(globalThis as unknown as {ampResult: Promise<PageResult>}).ampResult = run();
