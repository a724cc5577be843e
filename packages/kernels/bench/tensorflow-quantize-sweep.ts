// Conformance sweep (not a timing): the `tensorflow` backend's native AmpQuantize against
// roundArray over every float32 bit pattern, for each format TF rounds natively, with and
// without saturation. NaN inputs must give a NaN of the documented pattern.
//
//   npm run provision:tfjs-node   # once
//   TF_CPP_MIN_LOG_LEVEL=2 npx tsx --conditions=@tfjs-amp/source bench/tensorflow-quantize-sweep.ts \
//     [--formats float16,bfloat16] [--stride 1] [--saturate both|on|off]
//
// --stride N checks every N-th pattern (1 = all 2^32; about 4 minutes per format and mode on a
// 2-vCPU EPYC). Exits non-zero on the first format with a difference.
import * as tf from '@tensorflow/tfjs';
import {type FormatName, quantize, roundArray} from '../src/index.js';

await import('@tensorflow/tfjs-node' as string);
await tf.setBackend('tensorflow');

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1]!);
const formats = (args.get('formats') ?? 'bfloat16,float16,float8_e4m3fn,float8_e5m2,tf32').split(
  ',',
) as FormatName[];
const stride = Number(args.get('stride') ?? 1);
const saturateModes = {both: [false, true], on: [true], off: [false]}[
  args.get('saturate') ?? 'both'
] ?? [false, true];

/**
 * Whether `got` is what the native kernel may give for a NaN input whose roundArray result is
 * `want` (see src/kernels/tensorflow/AmpQuantize.ts): exactly roundArray's NaN for float16,
 * float8_e4m3fn and tf32; a quiet NaN with an empty payload, either sign, for bfloat16 and
 * float8_e5m2 (TF's casts drop the payload; the vectorised and scalar paths differ on the sign).
 */
function nanOk(format: FormatName, got: number, want: number): boolean {
  if (format === 'bfloat16' || format === 'float8_e5m2')
    return got === 0x7fc00000 || got === 0xffc00000;
  return got === want;
}

const CHUNK = 1 << 22;
let failed = false;
for (const format of formats) {
  for (const saturate of saturateModes) {
    const started = Date.now();
    let checked = 0;
    let diffs = 0;
    const examples: string[] = [];
    const bits = new Uint32Array(CHUNK);
    const src = new Float32Array(bits.buffer);
    for (let start = 0; start < 2 ** 32; start += CHUNK * stride) {
      const n = Math.min(CHUNK, Math.ceil((2 ** 32 - start) / stride));
      for (let i = 0; i < n; i++) bits[i] = (start + i * stride) >>> 0;
      const x = tf.tensor1d(n === CHUNK ? src : src.subarray(0, n));
      const y = quantize(x, format, {saturate});
      const got = new Uint32Array((y.dataSync() as Float32Array).buffer);
      tf.dispose([x, y]);
      const want = new Uint32Array(
        roundArray(src.subarray(0, n), format, undefined, {saturate}).buffer,
      );
      for (let i = 0; i < n; i++) {
        const ok = Number.isNaN(src[i]) ? nanOk(format, got[i]!, want[i]!) : got[i] === want[i];
        if (!ok) {
          diffs++;
          if (examples.length < 5) {
            examples.push(
              `0x${bits[i]!.toString(16)} -> 0x${got[i]!.toString(16)}, want 0x${want[i]!.toString(16)}`,
            );
          }
        }
      }
      checked += n;
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    console.log(
      `${format}${saturate ? ' saturate' : ''}: ${checked} patterns, ${diffs} differ (${seconds} s)` +
        (examples.length > 0 ? `\n  ${examples.join('\n  ')}` : ''),
    );
    if (diffs > 0) failed = true;
  }
}
process.exit(failed ? 1 : 0);
