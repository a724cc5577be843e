import * as tf from '@tensorflow/tfjs';
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describeBackends, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {applyPolicy} from './apply-policy.js';
import {
  loadLayersModelWithPolicy,
  POLICY_METADATA_KEY,
  saveModelWithPolicy,
} from './serialization.js';
import {checkWeightData, ModelFileError} from './serialization-check.js';

/** Two float32 weights, 3 + 2 values: bytes 0–12 and 12–20. */
function artifacts(values = [1, 2, 3, 4, 5]): tf.io.ModelArtifacts {
  return {
    modelTopology: {},
    weightSpecs: [
      {name: 'd/kernel', shape: [3], dtype: 'float32'},
      {name: 'd/bias', shape: [2], dtype: 'float32'},
    ],
    weightData: new Float32Array(values).buffer,
  };
}

const opts = {caller: 'test', source: "'m/model.json'"};

describe('checkWeightData', () => {
  it('passes intact weights and artifacts without weights', () => {
    expect(() => checkWeightData(artifacts(), opts)).not.toThrow();
    expect(() => checkWeightData({modelTopology: {}}, opts)).not.toThrow();
  });

  it('names the file and the first weight cut off when the data is short', () => {
    const a = artifacts();
    a.weightData = (a.weightData as ArrayBuffer).slice(0, 14);
    const files = [
      {path: 'm/a.bin', byteLength: 8},
      {path: 'm/b.bin', byteLength: 6},
    ];
    expect(() => checkWeightData(a, {...opts, weightFiles: files})).toThrow(
      "test: the weight data of 'm/model.json' ('m/a.bin', 8 bytes; 'm/b.bin', 6 bytes) is 14 " +
        "bytes but its manifest needs 20: weight 'd/bias' (float32, shape [2]) should be at " +
        "'m/b.bin' (its bytes 4–12) and is cut off. The weight file is truncated or was not " +
        'saved with this model.json; save the model again.',
    );
  });

  it('refuses data longer than the manifest', () => {
    const a = artifacts();
    a.weightData = [a.weightData as ArrayBuffer, new ArrayBuffer(4)];
    expect(() => checkWeightData(a, opts)).toThrow(ModelFileError);
    expect(() => checkWeightData(a, opts)).toThrow(
      "test: the weight data of 'm/model.json' is 24 bytes, 4 more than the 20 its manifest " +
        'describes (extra bytes from bytes 20–24 of the weight data).',
    );
  });

  it('refuses NaN and ±Inf (float32 and float16-stored) unless allowed', () => {
    expect(() => checkWeightData(artifacts([1, 2, 3, Number.NaN, -Infinity]), opts)).toThrow(
      "test: weight 'd/bias' of 'm/model.json', in bytes 12–20 of the weight data, holds NaN at " +
        'index 0 (2 of its 2 values are NaN or ±Inf). The file is corrupt, or the model had ' +
        'diverged when it was saved. Pass {allowNonFiniteWeights: true} to load it anyway.',
    );
    expect(() =>
      checkWeightData(artifacts([1, 2, 3, Number.NaN, 0]), {...opts, allowNonFiniteWeights: true}),
    ).not.toThrow();
    const half: tf.io.ModelArtifacts = {
      modelTopology: {},
      weightSpecs: [{name: 'k', shape: [3], dtype: 'float32', quantization: {dtype: 'float16'}}],
      // 1.0, -Inf, NaN in float16.
      weightData: new Uint16Array([0x3c00, 0xfc00, 0x7e00]).buffer,
    };
    expect(() => checkWeightData(half, opts)).toThrow(
      "test: weight 'k' of 'm/model.json', in bytes 0–6 of the weight data, holds -Infinity at " +
        'index 1 (2 of its 3 values are NaN or ±Inf).',
    );
  });
});

/** A small mixed_float16 model saved with float16 weights into memory. */
async function savedHalfModel(): Promise<tf.io.ModelArtifacts> {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({units: 8, inputShape: [4], activation: 'relu'}),
      tf.layers.dense({units: 3}),
    ],
  });
  applyPolicy(model, 'mixed_float16');
  let saved: tf.io.ModelArtifacts | undefined;
  await saveModelWithPolicy(
    model,
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
    }),
    {saveWeightsAs: 'float16'},
  );
  model.dispose();
  return saved!;
}

function withWeightBytes(a: tf.io.ModelArtifacts, bytes: Uint8Array): tf.io.ModelArtifacts {
  return {...a, weightData: bytes.slice().buffer};
}

describe('loadLayersModelWithPolicy on corrupt weights (issue #13 defect 5)', () => {
  it('refuses truncated float16 weights with an error naming the weight, and leaks nothing', async () => {
    const saved = await savedHalfModel();
    const full = new Uint8Array(new tf.io.CompositeArrayBuffer(saved.weightData).slice());
    expect(full.byteLength).toBe((4 * 8 + 8 + 8 * 3 + 3) * 2);
    for (const cut of [50, 51, full.byteLength - 2]) {
      await expectNoLeaks(async () => {
        await expect(
          loadLayersModelWithPolicy(
            tf.io.fromMemory(withWeightBytes(saved, full.subarray(0, cut))),
          ),
        ).rejects.toThrow(
          new RegExp(
            `^loadLayersModelWithPolicy: the weight data of the model of the given IOHandler is ${cut} bytes but its manifest needs 134: weight '[^']+' \\(float32 stored as float16`,
          ),
        );
      });
    }
  });

  it('refuses 0xFF-filled (all-NaN) weights unless allowNonFiniteWeights, and leaks nothing', async () => {
    const saved = await savedHalfModel();
    const size = new tf.io.CompositeArrayBuffer(saved.weightData).byteLength;
    const corrupt = withWeightBytes(saved, new Uint8Array(size).fill(0xff));
    await expectNoLeaks(async () => {
      await expect(loadLayersModelWithPolicy(tf.io.fromMemory(corrupt))).rejects.toThrow(
        /^loadLayersModelWithPolicy: weight '[^']+' of the model of the given IOHandler, in bytes 0–64 of the weight data, holds NaN at index 0 \(32 of its 32 values are NaN or ±Inf\)/,
      );
    });
    const loaded = await loadLayersModelWithPolicy(tf.io.fromMemory(corrupt), {
      allowNonFiniteWeights: true,
    });
    expect(Number.isNaN(loaded.getWeights()[0]!.dataSync()[0])).toBe(true);
    loaded.dispose();
  });

  it('disposes the model when its saved policy record is malformed', async () => {
    const saved = await savedHalfModel();
    const bad = {...saved, userDefinedMetadata: {[POLICY_METADATA_KEY]: 'mixed_float16'}};
    await expectNoLeaks(async () => {
      await expect(loadLayersModelWithPolicy(tf.io.fromMemory(bad))).rejects.toThrow(
        "restorePolicy: user-defined metadata 'tfjsAmpPolicy' must be an object",
      );
    });
  });
});

describeBackends(['tensorflow'], () => {
  it("names the weight file of a truncated 'file://' model (tfjs-node's handler)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-load-'));
    const model = tf.sequential({
      layers: [tf.layers.dense({name: 'only', units: 2, inputShape: [3]})],
    });
    applyPolicy(model, 'mixed_float16');
    await saveModelWithPolicy(model, `file://${dir}`, {saveWeightsAs: 'float16'});
    model.dispose();
    const bin = join(dir, 'weights.bin');
    writeFileSync(bin, readFileSync(bin).subarray(0, 10));
    await expectNoLeaks(async () => {
      await expect(loadLayersModelWithPolicy(`file://${dir}/model.json`)).rejects.toThrow(
        `loadLayersModelWithPolicy: the weight data of 'file://${dir}/model.json' ('${bin}', 10 ` +
          "bytes) is 10 bytes but its manifest needs 16: weight 'only/kernel' (float32 stored " +
          `as float16, shape [3, 2]) should be at '${bin}' (its bytes 0–12) and is cut off.`,
      );
    });
  });
});
