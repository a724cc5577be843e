import * as tf from '@tensorflow/tfjs';
import {inheritWeightCheck, storedByteLength} from './serialization-check.js';

/**
 * Decodes weights saved with `saveModelWithPolicy(..., {saveWeightsAs: 'bfloat16'})` back to
 * plain float32 weights that any tfjs loader accepts, exactly (a bfloat16 value is a float32
 * whose low 16 bits are zero).
 *
 * The file format: a weight stored as bfloat16 keeps `dtype: 'float32'` in model.json's weight
 * manifest and carries `quantization: {dtype: 'bfloat16'}`, like tfjs io's own float16
 * quantization; its bytes in the weight file are the upper 16 bits of each float32 value,
 * little-endian, 2 bytes per value. tfjs decodes only `uint8`, `uint16` and `float16`
 * quantization, so stock `tf.loadLayersModel` refuses such a file ("unknown quantization dtype
 * bfloat16") instead of misreading it: load it with `loadLayersModelWithPolicy`, which calls
 * this, or pass the artifacts through this first:
 * `tf.loadLayersModel(tf.io.fromMemory(decodeBfloat16Weights(artifacts)))`.
 *
 * Returns the artifacts unchanged (same object) when no weight is stored as bfloat16; otherwise
 * new artifacts with new weight data (the input is not modified). Creates no tensors.
 * @throws RangeError when the weight data is shorter than the manifest says (check it first
 *   with `checkWeightData` for an error naming the file).
 * @example
 * const model = await tf.loadLayersModel(tf.io.fromMemory(decodeBfloat16Weights(artifacts)));
 */
export function decodeBfloat16Weights(artifacts: tf.io.ModelArtifacts): tf.io.ModelArtifacts {
  const specs = artifacts.weightSpecs;
  if (specs == null || artifacts.weightData == null) return artifacts;
  if (!specs.some((s) => (s.quantization?.dtype as string | undefined) === 'bfloat16')) {
    return artifacts;
  }
  const source = new Uint8Array(new tf.io.CompositeArrayBuffer(artifacts.weightData).slice());
  const chunks: Uint8Array[] = [];
  const newSpecs: tf.io.WeightsManifestEntry[] = [];
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const stored = (spec.quantization?.dtype as string | undefined) ?? spec.dtype;
    const length = storedByteLength(spec);
    if (length == null) {
      throw new TypeError(
        `decodeBfloat16Weights: weight '${spec.name}' has dtype ${stored}, whose size is unknown; ` +
          'only numeric weights can be decoded.',
      );
    }
    if (offset + length > source.byteLength) {
      throw new RangeError(
        `decodeBfloat16Weights: weight '${spec.name}' needs bytes ${offset}–${offset + length} ` +
          `but the weight data has ${source.byteLength}; the weight file is truncated.`,
      );
    }
    const bytes = source.subarray(offset, offset + length);
    offset += length;
    if (stored !== 'bfloat16') {
      chunks.push(bytes);
      newSpecs.push(spec);
      continue;
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const bits = new Uint32Array(size);
    for (let i = 0; i < size; i++) bits[i] = view.getUint16(2 * i, true) << 16;
    chunks.push(new Uint8Array(bits.buffer));
    const {quantization: _, ...plain} = spec;
    newSpecs.push(plain);
  }
  const data = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const chunk of chunks) {
    data.set(chunk, at);
    at += chunk.byteLength;
  }
  const decoded = {...artifacts, weightSpecs: newSpecs, weightData: data.buffer};
  inheritWeightCheck(artifacts, decoded);
  return decoded;
}
