import * as tf from '@tensorflow/tfjs';
import {roundArray} from '@tfjs-amp/kernels';
import {describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {applyPolicy} from './apply-policy.js';
import {loadLayersModelWithPolicy, saveModelWithPolicy, toHalfArtifacts} from './serialization.js';
import {decodeBfloat16Weights} from './serialization-bfloat16.js';
import {checkWeightData} from './serialization-check.js';

/** Saves into memory and returns the artifacts as the handler received them. */
async function saveToMemory(
  model: tf.LayersModel,
  options: Parameters<typeof saveModelWithPolicy>[2],
): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await saveModelWithPolicy(
    model,
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
    }),
    options,
  );
  return saved!;
}

/** Deterministic values in [-2, 2), most of them not bfloat16- or float16-exact. */
function spread(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let s = seed;
  for (let i = 0; i < size; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32 - 0.5) * 4;
  }
  return out;
}

function bytesOf(data: tf.io.WeightData | undefined): number {
  return new tf.io.CompositeArrayBuffer(data).byteLength;
}

function predict(model: tf.LayersModel, x: tf.Tensor): Float32Array {
  const y = model.predict(x) as tf.Tensor;
  const out = Float32Array.from(y.dataSync() as Float32Array);
  y.dispose();
  return out;
}

describe('decodeBfloat16Weights', () => {
  it('expands stored upper halves to float32 exactly and leaves other weights as they are', () => {
    const kernel = new Float32Array([1, -2.5, Math.PI, 1e-30, Number.NaN, -Infinity]);
    const artifacts: tf.io.ModelArtifacts = {
      modelTopology: {},
      weightSpecs: [
        {name: 'k', shape: [6], dtype: 'float32'},
        {name: 'steps', shape: [1], dtype: 'int32'},
      ],
      weightData: [kernel.buffer, new Int32Array([9]).buffer],
    };
    const half = toHalfArtifacts(artifacts, 'bfloat16');
    expect(bytesOf(half.weightData)).toBe(6 * 2 + 4);
    expect(half.weightSpecs![0]!.quantization).toEqual({dtype: 'bfloat16'});
    const decoded = decodeBfloat16Weights(half);
    expect(decoded.weightSpecs).toEqual(artifacts.weightSpecs);
    const weights = tf.io.decodeWeights(decoded.weightData!, decoded.weightSpecs!);
    expectBitsEqual(weights.k!.dataSync() as Float32Array, roundArray(kernel, 'bfloat16'));
    expect(Array.from(weights.steps!.dataSync())).toEqual([9]);
    tf.dispose(Object.values(weights));
    // No bfloat16 weight: the same object back.
    expect(decodeBfloat16Weights(artifacts)).toBe(artifacts);
  });

  it('refuses a finite weight that rounds to Inf in bfloat16', () => {
    const artifacts: tf.io.ModelArtifacts = {
      modelTopology: {},
      weightSpecs: [{name: 'big', shape: [1], dtype: 'float32'}],
      weightData: new Float32Array([3.4028235e38]).buffer,
    };
    expect(() => toHalfArtifacts(artifacts, 'bfloat16')).toThrow(
      "saveModelWithPolicy: weight 'big' holds 3.4028234663852886e+38, beyond bfloat16's range",
    );
  });

  it('lets checkWeightData see NaN stored as bfloat16', () => {
    const artifacts: tf.io.ModelArtifacts = {
      modelTopology: {},
      weightSpecs: [{name: 'w', shape: [2], dtype: 'float32'}],
      weightData: new Float32Array([1, Number.NaN]).buffer,
    };
    expect(() =>
      checkWeightData(toHalfArtifacts(artifacts, 'bfloat16'), {caller: 't', source: 'm'}),
    ).toThrow("t: weight 'w' of m, in bytes 0–4 of the weight data, holds NaN at index 1");
  });
});

describeBackends(['cpu', 'wasm', 'tensorflow'], () => {
  describe("saveWeightsAs: 'bfloat16' (issue #13 defect 6)", () => {
    function model(): tf.Sequential {
      const m = tf.sequential({
        layers: [
          tf.layers.conv2d({filters: 4, kernelSize: 3, inputShape: [6, 6, 2], activation: 'relu'}),
          tf.layers.flatten(),
          tf.layers.dense({units: 16, activation: 'tanh'}),
          tf.layers.dense({units: 5}),
        ],
      });
      // Weights with full float32 mantissas, so 16-bit storage has something to lose.
      tf.tidy(() =>
        m.setWeights(m.getWeights().map((w, i) => tf.tensor(spread(w.size, 7 + i), w.shape))),
      );
      return m;
    }

    it('round-trips a mixed_bfloat16 model bit for bit at half the size; float16 files do not', async () => {
      const m = model();
      applyPolicy(m, 'mixed_bfloat16');
      const x = tf.tensor(spread(3 * 6 * 6 * 2, 99), [3, 6, 6, 2]);
      const before = predict(m, x);
      const full = await saveToMemory(m, {});
      const bf16 = await saveToMemory(m, {saveWeightsAs: 'bfloat16'});
      const f16 = await saveToMemory(m, {saveWeightsAs: 'float16'});
      expect(bytesOf(bf16.weightData) * 2).toBe(bytesOf(full.weightData));

      await expectNoLeaks(async () => {
        const loaded = await loadLayersModelWithPolicy(tf.io.fromMemory(bf16));
        // Stored weights are the float32 masters rounded to bfloat16, exactly.
        for (const [i, w] of loaded.getWeights().entries()) {
          const original = m.getWeights()[i]!.dataSync() as Float32Array;
          expectBitsEqual(w.dataSync() as Float32Array, roundArray(original, 'bfloat16'), `w${i}`);
        }
        expectBitsEqual(predict(loaded, x), before, 'predictions after a bfloat16 round trip');
        loaded.dispose();
      });

      // The documented limitation of float16 files for bfloat16 models: predictions move.
      const viaF16 = await loadLayersModelWithPolicy(tf.io.fromMemory(f16));
      const moved = predict(viaF16, x).some((v, i) => !Object.is(v, before[i]));
      expect(moved).toBe(true);
      viaF16.dispose();

      // Stock tfjs refuses the bfloat16 file rather than misreading it.
      await expect(tf.loadLayersModel(tf.io.fromMemory(bf16))).rejects.toThrow(/bfloat16/);
      x.dispose();
      m.dispose();
    });
  });
});
