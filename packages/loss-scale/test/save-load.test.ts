import * as tf from '@tensorflow/tfjs';
import {describeBackends} from '@tfjs-amp/test-utils';
import {describe, expect, it, vi} from 'vitest';
import {FLOAT32_MAX, LossScaleOptimizer, STATE_WEIGHT_NAMES} from '../src/index.js';
import {expectSameSnapshot, expectSameWeights, makeData, makeMlp, snapshot} from './support.js';

/** Saves with includeOptimizer into memory, through JSON as a file would, and loads it back. */
async function saveAndLoad(model: tf.LayersModel): Promise<tf.LayersModel> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
    }),
    {includeOptimizer: true},
  );
  const json = JSON.parse(
    JSON.stringify({
      modelTopology: saved!.modelTopology,
      trainingConfig: saved!.trainingConfig,
      weightSpecs: saved!.weightSpecs,
    }),
  );
  return tf.loadLayersModel(tf.io.fromMemory({...json, weightData: saved!.weightData}));
}

const STATE_KEYS = [
  'lossScale',
  'goodSteps',
  'hysteresisLeft',
  'overflowCount',
  'skippedSteps',
  'lastStepSkipped',
  'iterations',
] as const;

describe('LossScaleOptimizer save and load', () => {
  describeBackends(['cpu', 'wasm'], () => {
    for (const [name, make] of [
      ['rmsprop', () => tf.train.rmsprop(0.01, 0.9, 0.2)],
      ['momentum', () => tf.train.momentum(0.05, 0.9)],
      ['adam', () => tf.train.adam(0.01)],
    ] as const) {
      it(`restores the scale state and ${name} slots exactly and resumes training identically`, async () => {
        vi.spyOn(console, 'warn').mockImplementation(() => {});
        const {x, y} = makeData();
        const model = makeMlp();
        const opt = new LossScaleOptimizer(make(), {
          initialScale: 2 ** 127,
          maxScale: FLOAT32_MAX,
          backoffFactor: 2 ** -60,
          growthInterval: 5,
          hysteresis: 2,
          clipNorm: 10,
        });
        model.compile({optimizer: opt, loss: 'meanSquaredError'});
        const yBig = tf.mul(y, 1e10); // overflows at 2^127: a skipped step, then backoff
        await model.fit(x, yBig, {epochs: 1, batchSize: 8, shuffle: false, verbose: 0});
        await model.fit(x, y, {epochs: 1, batchSize: 8, shuffle: false, verbose: 0});
        expect(opt.skippedSteps).toBeGreaterThan(0);
        expect(opt.goodSteps).toBeGreaterThan(0);

        const loaded = await saveAndLoad(model);
        const restored = loaded.optimizer as LossScaleOptimizer;
        expect(restored).toBeInstanceOf(LossScaleOptimizer);
        expect(restored.innerOptimizer.getClassName()).toBe(opt.innerOptimizer.getClassName());
        expect(restored.options).toEqual(opt.options);
        for (const key of STATE_KEYS) expect(restored[key], key).toEqual(opt[key]);
        expect(restored.innerOptimizer.iterations).toBe(opt.innerOptimizer.iterations);
        expectSameWeights(loaded, model);
        const [a, b] = [await snapshot([], opt), await snapshot([], restored)];
        expectSameSnapshot(b, a);

        if (name !== 'adam') {
          // tfjs rebuilds Adam's beta powers with pow() on load, which may differ in the last
          // bit from the running products; the other optimizers resume bit-for-bit.
          const h1 = await model.fit(x, y, {epochs: 2, batchSize: 8, shuffle: false, verbose: 0});
          const h2 = await loaded.fit(x, y, {epochs: 2, batchSize: 8, shuffle: false, verbose: 0});
          expect(h2.history.loss).toEqual(h1.history.loss);
          expectSameWeights(loaded, model);
          for (const key of STATE_KEYS) expect(restored[key], key).toEqual(opt[key]);
        }
        model.dispose();
        loaded.dispose();
        tf.dispose([x, y, yBig]);
        vi.restoreAllMocks();
      });
    }

    it('saves the scale state as named optimizer weights', async () => {
      const {x, y} = makeData();
      const model = makeMlp();
      model.compile({
        optimizer: new LossScaleOptimizer(tf.train.sgd(0.1)),
        loss: 'meanSquaredError',
      });
      await model.fit(x, y, {epochs: 1, batchSize: 16, verbose: 0});
      let specs: tf.io.WeightsManifestEntry[] = [];
      await model.save(
        tf.io.withSaveHandler(async (artifacts) => {
          specs = artifacts.weightSpecs ?? [];
          return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
        }),
        {includeOptimizer: true},
      );
      const optimizerSpecs = specs.filter((s) => s.group === 'optimizer');
      expect(optimizerSpecs.map((s) => [s.name, s.dtype])).toEqual([
        [STATE_WEIGHT_NAMES.lossScale, 'float32'],
        [STATE_WEIGHT_NAMES.goodSteps, 'int32'],
        [STATE_WEIGHT_NAMES.hysteresisLeft, 'int32'],
        [STATE_WEIGHT_NAMES.overflowCount, 'int32'],
        [STATE_WEIGHT_NAMES.skippedSteps, 'int32'],
        [STATE_WEIGHT_NAMES.iterations, 'int32'],
        [STATE_WEIGHT_NAMES.lastStepSkipped, 'int32'],
        ['iter', 'int32'],
      ]);
      model.dispose();
      tf.dispose([x, y]);
    });
  });
});
