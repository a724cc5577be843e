// @tfjs-amp/optimizers' AdamW and Nadam inside LossScaleOptimizer: fit without leaks, skipped steps
// leave their state untouched, and save/load with includeOptimizer restores and resumes exactly.
// (Here rather than in @tfjs-amp/optimizers, which loss-scale depends on: no dependency cycle.)
import * as tf from '@tensorflow/tfjs';
import {AdamW, Nadam, adamw, nadam} from '@tfjs-amp/optimizers';
import {describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it, vi} from 'vitest';
import {FLOAT32_MAX, LossScaleOptimizer} from '../src/index.js';
import {expectSameWeights, makeData, makeMlp} from './support.js';

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

const bits = (t: tf.Tensor) => new Uint32Array((t.dataSync() as Float32Array).slice().buffer);
const FIT = {epochs: 2, batchSize: 8, shuffle: false, verbose: 0} as const;

describeBackends(['cpu', 'wasm', 'tensorflow'], () => {
  describe.each([
    ['AdamW', () => adamw({learningRate: 0.01, weightDecay: 0.01}), AdamW],
    ['Nadam', () => nadam({learningRate: 0.01}), Nadam],
  ] as const)('LossScaleOptimizer(%s)', (_name, make, cls) => {
    it('trains in fit without leaks; a skipped step leaves the inner state bit-identical', async () => {
      vi.spyOn(console, 'warn').mockImplementation(() => {});
      const {x, y} = makeData();
      const model = makeMlp();
      const opt = new LossScaleOptimizer(make(), {initialScale: 2 ** 127, maxScale: FLOAT32_MAX});
      model.compile({optimizer: opt, loss: 'meanSquaredError'});
      // Overflows at 2^127 first (skipped steps, backoff), then trains.
      const yBig = tf.mul(y, 1e10);
      await model.fit(x, yBig, {...FIT, epochs: 1});
      expect(opt.skippedSteps).toBeGreaterThan(0);
      const first = (await model.fit(x, y, {...FIT, epochs: 1})).history.loss![0] as number;
      const history = await expectNoLeaks(() => model.fit(x, y, FIT));
      expect(history.history.loss!.at(-1) as number).toBeLessThan(first);

      // A step that overflows: nothing of the inner optimizer moves.
      const before = await opt.innerOptimizer.getWeights();
      const kept = before.map((w) => bits(w.tensor));
      const iterations = opt.innerOptimizer.iterations;
      const skipped = opt.skippedSteps;
      // Targets of 1e37: the scaled gradients (~1e37 × scale) overflow at any scale above 2^5.
      const yHuge = tf.mul(y, 1e37);
      await model.trainOnBatch(x, yHuge);
      expect(opt.skippedSteps).toBe(skipped + 1);
      expect(opt.innerOptimizer.iterations).toBe(iterations);
      const after = await opt.innerOptimizer.getWeights();
      after.forEach((w, i) => {
        expectBitsEqual(bits(w.tensor), kept[i]!);
      });
      tf.dispose([before[0]!.tensor, after[0]!.tensor, x, y, yBig, yHuge]);
      model.dispose();
      vi.restoreAllMocks();
    });

    it('saves and loads with includeOptimizer and resumes bit for bit', async () => {
      const {x, y} = makeData();
      const model = makeMlp();
      model.compile({optimizer: new LossScaleOptimizer(make()), loss: 'meanSquaredError'});
      await model.fit(x, y, FIT);
      const loaded = await saveAndLoad(model);
      const restored = loaded.optimizer as LossScaleOptimizer;
      const original = model.optimizer as LossScaleOptimizer;
      expect(restored.innerOptimizer).toBeInstanceOf(cls);
      expect(restored.innerOptimizer.getConfig()).toEqual(original.innerOptimizer.getConfig());
      const h1 = await model.fit(x, y, FIT);
      const h2 = await loaded.fit(x, y, FIT);
      expect(h2.history.loss).toEqual(h1.history.loss);
      expectSameWeights(loaded, model);
      model.dispose();
      loaded.dispose();
      tf.dispose([x, y]);
    });
  });
});
