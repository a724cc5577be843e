import * as tf from '@tensorflow/tfjs';
import {expectBitsEqual} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {POLICY_METADATA_KEY, readPolicyRecord, toFloat16Artifacts} from './serialization.js';

function artifacts(): tf.io.ModelArtifacts {
  const kernel = new Float32Array([0.1, -2, 65504, Number.POSITIVE_INFINITY]);
  const steps = new Int32Array([7]);
  const slot = new Float32Array([1e-9]);
  return {
    modelTopology: {},
    weightSpecs: [
      {name: 'd/kernel', shape: [2, 2], dtype: 'float32'},
      {name: 'iter', shape: [], dtype: 'int32'},
      {name: 'm', shape: [1], dtype: 'float32', group: 'optimizer'},
    ],
    // Two buffers, as tfjs io allows, split inside no weight.
    weightData: [
      kernel.buffer,
      new Uint8Array([...new Uint8Array(steps.buffer), ...new Uint8Array(slot.buffer)]).buffer,
    ],
  };
}

describe('toFloat16Artifacts', () => {
  it('stores float32 model weights as float16 and leaves int32 and optimizer weights alone', () => {
    const out = toFloat16Artifacts(artifacts());
    expect(out.weightSpecs!.map((s) => s.quantization?.dtype ?? null)).toEqual([
      'float16',
      null,
      null,
    ]);
    expect(new tf.io.CompositeArrayBuffer(out.weightData).byteLength).toBe(8 + 4 + 4);
    const decoded = tf.io.decodeWeights(out.weightData!, out.weightSpecs!);
    // 0.1 → 0.0999755859375 in float16; 65504 is float16's max; Inf stays Inf.
    expectBitsEqual(decoded['d/kernel']!.dataSync() as Float32Array, [
      0.0999755859375,
      -2,
      65504,
      Number.POSITIVE_INFINITY,
    ]);
    expect(Array.from(decoded.iter!.dataSync())).toEqual([7]);
    expectBitsEqual(decoded.m!.dataSync() as Float32Array, [1e-9]);
    tf.dispose(Object.values(decoded));
  });

  it('refuses a finite weight that would overflow to Inf', () => {
    const a = artifacts();
    const kernel = new Float32Array([65520, 0, 0, 0]); // rounds to 65536: Inf in float16
    a.weightData = [kernel.buffer, (a.weightData as ArrayBuffer[])[1]!];
    expect(() => toFloat16Artifacts(a)).toThrow(
      "saveModelWithPolicy: weight 'd/kernel' holds 65520, beyond float16's range (±65504)",
    );
  });
});

describe('readPolicyRecord', () => {
  it('reads the record, null when there is none, and names what is wrong in a bad one', () => {
    const model = tf.sequential({layers: [tf.layers.dense({units: 1, inputShape: [1]})]});
    expect(readPolicyRecord(model)).toBeNull();
    model.setUserDefinedMetadata({
      [POLICY_METADATA_KEY]: {name: 'float16', overrides: {}, keepFloat32: []},
    });
    expect(readPolicyRecord(model)).toEqual({name: 'float16', overrides: {}, keepFloat32: []});
    model.setUserDefinedMetadata({[POLICY_METADATA_KEY]: 'mixed_float16'});
    expect(() => readPolicyRecord(model)).toThrow(
      "readPolicyRecord: user-defined metadata 'tfjsAmpPolicy' must be an object {name, overrides, keepFloat32}; got 'mixed_float16'.",
    );
    model.setUserDefinedMetadata({
      [POLICY_METADATA_KEY]: {name: 'float16', overrides: {a: 'fp16'}},
    });
    expect(() => readPolicyRecord(model)).toThrow(
      "readPolicyRecord: user-defined metadata 'tfjsAmpPolicy'.overrides['a'] is an unknown policy name 'fp16'.",
    );
    model.dispose();
  });
});
