// Save → load → restore round trips through in-memory IO handlers.
import * as tf from '@tensorflow/tfjs';
import {roundArray} from '@tfjs-amp/kernels';
import {describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {
  POLICY_METADATA_KEY,
  applyPolicy,
  describePolicy,
  loadLayersModelWithPolicy,
  policyOf,
  readPolicyRecord,
  removePolicy,
  restorePolicy,
  saveModelWithPolicy,
} from '../src/index.js';
import {expectWeightsBitsEqual, values, weightValues} from './support.js';

/** Saves into memory and returns the artifacts, as `model.save` or `saveModelWithPolicy` wrote them. */
async function saveToMemory(
  save: (handler: tf.io.IOHandler) => Promise<tf.io.SaveResult>,
): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | null = null;
  await save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
    }),
  );
  return saved!;
}

function byteLength(data: tf.io.WeightData | undefined): number {
  return new tf.io.CompositeArrayBuffer(data).byteLength;
}

function predictBits(model: tf.LayersModel, x: tf.Tensor): Float32Array {
  const y = model.predict(x) as tf.Tensor;
  const out = Float32Array.from(y.dataSync() as Float32Array);
  y.dispose();
  return out;
}

function classifier(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.dense({units: 12, activation: 'relu', inputShape: [5], name: 'features'}),
      tf.layers.batchNormalization({name: 'norm'}),
      tf.layers.dense({units: 8, activation: 'tanh', name: 'mix'}),
      tf.layers.dense({units: 3, activation: 'softmax', name: 'probs'}),
    ],
  });
}

describeBackends(['cpu', 'wasm'], () => {
  describe('save and load with a policy', () => {
    it('keeps the policy through model.save → tf.loadLayersModel → restorePolicy, with identical predictions', async () => {
      const model = classifier();
      const options = {overrides: {mix: 'mixed_bfloat16' as const}, keepFloat32: ['probs', 'norm']};
      applyPolicy(model, 'mixed_float16', options);
      const x = values([4, 5], 30);
      const before = predictBits(model, x);
      const artifacts = await saveToMemory((h) => model.save(h));
      expect(
        (artifacts.userDefinedMetadata as Record<string, unknown>)[POLICY_METADATA_KEY],
      ).toEqual({
        name: 'mixed_float16',
        overrides: {mix: 'mixed_bfloat16'},
        keepFloat32: ['probs', 'norm'],
      });

      const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
      expect(policyOf(loaded.layers[0]!)).toBeNull();
      await expectNoLeaks(() => {
        restorePolicy(loaded);
        expectBitsEqual(predictBits(loaded, x), before);
      });
      const strip = (rows: ReturnType<typeof describePolicy>) => rows.map(({path: _p, ...r}) => r);
      expect(strip(describePolicy(loaded))).toEqual(strip(describePolicy(model)));
      expect(readPolicyRecord(loaded)?.name).toBe('mixed_float16');
      removePolicy(loaded);
      removePolicy(model);
      x.dispose();
      model.dispose();
      loaded.dispose();
    });

    it('loads and restores in one call with loadLayersModelWithPolicy', async () => {
      const model = classifier();
      applyPolicy(model, 'mixed_bfloat16');
      const artifacts = await saveToMemory((h) => saveModelWithPolicy(model, h));
      const loaded = await loadLayersModelWithPolicy(tf.io.fromMemory(artifacts));
      expect(policyOf(loaded.layers[0]!)?.name).toBe('mixed_bfloat16');
      expect(policyOf(loaded.layers[1]!)?.name).toBe('float32');
      removePolicy(loaded);
      removePolicy(model);
      model.dispose();
      loaded.dispose();
    });

    it('writes float16 weights at half the size that stock tfjs loads, predicting identically under mixed_float16', async () => {
      const model = tf.sequential({
        layers: [
          tf.layers.dense({units: 32, activation: 'relu', inputShape: [20]}),
          tf.layers.dense({units: 6}),
        ],
      });
      applyPolicy(model, 'mixed_float16');
      const x = values([5, 20], 31);
      const before = predictBits(model, x);
      const original = weightValues(model);
      const full = await saveToMemory((h) => saveModelWithPolicy(model, h));
      const half = await saveToMemory((h) =>
        saveModelWithPolicy(model, h, {saveWeightsAs: 'float16'}),
      );
      expect(byteLength(full.weightData)).toBe(4 * (20 * 32 + 32 + 32 * 6 + 6));
      expect(byteLength(half.weightData) * 2).toBe(byteLength(full.weightData));
      expect(half.weightSpecs!.every((s) => s.quantization?.dtype === 'float16')).toBe(true);

      // Stock loader: float32 weights equal to the originals rounded to float16.
      const loaded = await tf.loadLayersModel(tf.io.fromMemory(half));
      expectWeightsBitsEqual(
        weightValues(loaded),
        original.map((w) => roundArray(w, 'float16')),
      );
      restorePolicy(loaded);
      expectBitsEqual(predictBits(loaded, x), before);
      removePolicy(loaded);
      removePolicy(model);
      x.dispose();
      model.dispose();
      loaded.dispose();
    });
  });
});

describe('saveModelWithPolicy', () => {
  it('keeps optimizer weights float32 when saving float16 weights', async () => {
    const model = tf.sequential({layers: [tf.layers.dense({units: 2, inputShape: [3]})]});
    applyPolicy(model, 'mixed_float16');
    model.compile({optimizer: tf.train.adam(0.01), loss: 'meanSquaredError'});
    const x = tf.ones([2, 3]);
    const y = tf.zeros([2, 2]);
    await model.trainOnBatch(x, y);
    const artifacts = await saveToMemory((h) =>
      saveModelWithPolicy(model, h, {saveWeightsAs: 'float16', includeOptimizer: true}),
    );
    const specs = artifacts.weightSpecs!;
    const optimizerSpecs = specs.filter((s) => s.group === 'optimizer');
    expect(optimizerSpecs.length).toBeGreaterThan(0);
    expect(optimizerSpecs.every((s) => s.quantization == null)).toBe(true);
    expect(specs.filter((s) => s.group !== 'optimizer').every((s) => s.quantization != null)).toBe(
      true,
    );
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    expect(loaded.optimizer).not.toBeNull();
    removePolicy(model);
    tf.dispose([x, y]);
    model.dispose();
    loaded.dispose();
  });

  it('refuses a weight float16 cannot hold, and an unknown weight format', async () => {
    const model = tf.sequential({
      layers: [tf.layers.dense({units: 2, inputShape: [2], name: 'big'})],
    });
    const weights = [
      tf.tensor2d([
        [70000, 1],
        [2, 3],
      ]),
      tf.zeros([2]),
    ];
    model.setWeights(weights);
    tf.dispose(weights);
    const handler = tf.io.withSaveHandler(async () => ({
      modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'},
    }));
    await expect(saveModelWithPolicy(model, handler, {saveWeightsAs: 'float16'})).rejects.toThrow(
      "saveModelWithPolicy: weight 'big/kernel' holds 70000, beyond float16's range (±65504); " +
        "save with saveWeightsAs: 'float32'.",
    );
    await expect(
      saveModelWithPolicy(model, handler, {saveWeightsAs: 'float8' as 'float16'}),
    ).rejects.toThrow(
      "saveModelWithPolicy: unknown saveWeightsAs 'float8'. Allowed: bfloat16, float16, float32.",
    );
    model.dispose();
  });
});

describe('policy metadata', () => {
  it('is taken out by removePolicy, keeping the model’s own metadata', () => {
    const model = tf.sequential({layers: [tf.layers.dense({units: 2, inputShape: [2]})]});
    model.setUserDefinedMetadata({author: 'me'});
    applyPolicy(model, 'mixed_float16');
    expect(model.getUserDefinedMetadata()).toEqual({
      author: 'me',
      [POLICY_METADATA_KEY]: {
        name: 'mixed_float16',
        overrides: {},
        keepFloat32: [
          'BatchNormalization',
          'LayerNormalization',
          'Softmax',
          'logSoftmax',
          'softmax',
        ],
      },
    });
    removePolicy(model);
    expect(model.getUserDefinedMetadata()).toEqual({author: 'me'});

    applyPolicy(model, 'mixed_float16');
    model.setUserDefinedMetadata({author: 'you'}); // replaces the record
    applyPolicy(model, 'mixed_float16'); // the same policy again writes it back
    expect(readPolicyRecord(model)?.name).toBe('mixed_float16');
    removePolicy(model);
    expect(model.getUserDefinedMetadata()).toEqual({author: 'you'});

    const bare = tf.sequential({layers: [tf.layers.dense({units: 2, inputShape: [2]})]});
    applyPolicy(bare, 'mixed_bfloat16');
    removePolicy(bare);
    expect(bare.getUserDefinedMetadata()).toBeUndefined();
    model.dispose();
    bare.dispose();
  });

  it('restorePolicy leaves a model without a record alone, and rejects a malformed record', () => {
    const model = tf.sequential({layers: [tf.layers.dense({units: 2, inputShape: [2]})]});
    expect(restorePolicy(model)).toBe(model);
    expect(policyOf(model.layers[0]!)).toBeNull();
    model.setUserDefinedMetadata({[POLICY_METADATA_KEY]: {name: 'mixed_float61'}});
    expect(() => restorePolicy(model)).toThrow(
      "restorePolicy: user-defined metadata 'tfjsAmpPolicy' has an unknown policy name 'mixed_float61'",
    );
    model.setUserDefinedMetadata({
      [POLICY_METADATA_KEY]: {name: 'mixed_float16', overrides: {gone: 'float32'}},
    });
    expect(() => restorePolicy(model)).toThrow(
      "applyPolicy: options.overrides names no layer of this model: 'gone'.",
    );
    expect(policyOf(model.layers[0]!)).toBeNull();
    model.dispose();
  });
});
