// `npm start`: a short, real demonstration of the numerics on the wasm backend.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {FORMAT_NAMES, type FormatName, encode, getFormat, quantize} from '@tfjs-amp/kernels';

/** Prints rows as a table with every column padded to its widest cell. */
function table(header: string[], rows: string[][], alignRight = (_column: number) => true): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `  ${cells.map((c, i) => (alignRight(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ')}`;
  console.log(line(header));
  console.log(`  ${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const row of rows) console.log(line(row));
}

/** Shortest decimal that round-trips the float32 value, `-0` included. */
function show(v: number): string {
  if (Object.is(v, -0)) return '-0';
  const text = String(v);
  return text.length <= 12 ? text : v.toPrecision(8).replace(/\.?0+(e|$)/, '$1');
}

await tf.setBackend('wasm');
console.log(`tfjs-amp numerics demo: backend ${tf.getBackend()}, tfjs ${tf.version.tfjs}\n`);

console.log('Formats (getFormat):');
table(
  ['format', 'sign/exp/mant', 'max finite', 'min normal', 'min subnormal', 'epsilon', 'Inf'],
  FORMAT_NAMES.map((name) => {
    const f = getFormat(name);
    return [
      name,
      `1/${f.exponentBits}/${f.mantissaBits}`,
      f.maxFinite.toPrecision(6),
      f.minNormal.toExponential(3),
      f.minSubnormal.toExponential(3),
      f.epsilon.toExponential(3),
      f.hasInf ? 'yes' : 'no',
    ];
  }),
  (column) => column !== 0 && column !== 6,
);

const samples = [0.1, 1 + 2 ** -11, Math.PI, 65519, 65520, 1e-5, 1e-8, 300, 500, -1e-30];
const shown: FormatName[] = ['float16', 'bfloat16', 'float8_e4m3fn', 'float8_e5m2'];
const x = tf.tensor1d(samples);
const rounded = shown.map((f) => {
  const y = quantize(x, f);
  const values = Array.from(y.dataSync());
  y.dispose();
  return values;
});
x.dispose();
console.log('\nquantize(x, format): float32 in, the nearest representable value out');
table(
  ['x (float32)', ...shown],
  samples.map((v, i) => [show(Math.fround(v)), ...rounded.map((r) => show(r[i]!))]),
);

const four = new Float32Array(samples.slice(0, 4));
const bits = encode(four, 'float16');
console.log(
  `\nencode(x, 'float16') of ${Array.from(four, show).join(', ')}:\n  ${Array.from(bits, (b) => `0x${b.toString(16).padStart(4, '0')}`).join(' ')}`,
);

// Why loss scaling exists: a small gradient vanishes in float16's backward pass.
const tiny = tf.tidy(() =>
  Array.from(
    tf
      .grad((v: tf.Tensor) => quantize(v, 'float16').mul(1e-8).sum())(tf.ones([2]))
      .dataSync(),
  ),
);
const scaled = tf.tidy(() =>
  Array.from(
    tf
      .grad((v: tf.Tensor) =>
        quantize(v, 'float16')
          .mul(1e-8 * 2 ** 15)
          .sum(),
      )(tf.ones([2]))
      .div(2 ** 15)
      .dataSync(),
  ),
);
console.log('\nGradients through quantize (straight-through, rounded to float16):');
console.log(
  `  d/dv sum(quantize(v) * 1e-8)              = [${tiny.map(show).join(', ')}]  (underflows)`,
);
console.log(`  same with the loss scaled by 2^15, unscaled = [${scaled.map(show).join(', ')}]`);
console.log(`\nlive tensors at exit: ${tf.memory().numTensors}`);
