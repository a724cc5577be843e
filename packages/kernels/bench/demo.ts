// A short, real demonstration of the numerics on the embedded default backend (wasm).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {FORMAT_NAMES, encode, getFormat, quantize} from '@tfjs-amp/kernels';

await tf.setBackend('wasm');
console.log(`tfjs-amp numerics demo — backend: ${tf.getBackend()}, tfjs ${tf.version.tfjs}\n`);

console.log('Formats:');
for (const name of FORMAT_NAMES) {
  const f = getFormat(name);
  console.log(
    `  ${name.padEnd(14)} 1/${f.exponentBits}/${String(f.mantissaBits).padEnd(2)} max ${String(f.maxFinite).padEnd(24)} ` +
      `min normal ${f.minNormal.toExponential(3)}  min subnormal ${f.minSubnormal.toExponential(3)}  eps ${f.epsilon}  ${f.hasInf ? 'Inf' : 'no Inf'}`,
  );
}

const samples = [0.1, 1 + 2 ** -11, Math.PI, 65519, 65520, 1e-5, 1e-8, 300, 500, -0];
const x = tf.tensor1d(samples);
console.log('\nquantize(x, format) on', tf.getBackend());
console.log(
  `  ${'x'.padEnd(14)}${['float16', 'bfloat16', 'float8_e4m3fn', 'float8_e5m2'].map((f) => f.padEnd(16)).join('')}`,
);
const rounded = ['float16', 'bfloat16', 'float8_e4m3fn', 'float8_e5m2'].map((f) =>
  quantize(x, f as 'float16').dataSync(),
);
samples.forEach((v, i) => {
  console.log(`  ${String(v).padEnd(14)}${rounded.map((r) => String(r[i]).padEnd(16)).join('')}`);
});
const bits = encode(new Float32Array(samples.slice(0, 4)), 'float16');
console.log(
  `\nencode(float16) of ${samples.slice(0, 4).join(', ')}: ${Array.from(bits, (b) => `0x${b.toString(16).padStart(4, '0')}`).join(' ')}`,
);

// The reason loss scaling exists: a small gradient vanishes in float16's backward pass.
const grad = tf.grad((v: tf.Tensor) => quantize(v, 'float16').mul(1e-8).sum());
const g = grad(tf.ones([2]));
console.log(
  `\ngradient of sum(quantize(v, float16) * 1e-8): ${Array.from(g.dataSync())} (underflows in float16)`,
);
const scaled = tf.grad((v: tf.Tensor) =>
  quantize(v, 'float16')
    .mul(1e-8 * 2 ** 15)
    .sum(),
);
console.log(
  `same with the loss scaled by 2^15, then unscaled: ${Array.from(
    scaled(tf.ones([2]))
      .div(2 ** 15)
      .dataSync(),
  )}`,
);
