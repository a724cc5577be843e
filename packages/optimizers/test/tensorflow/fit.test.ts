// fuseOptimizer in model.fit, fitDataset, trainOnBatch and model.save / loadLayersModel on tfjs-node.
import * as tf from '@tensorflow/tfjs';
import {NativeOpSpy, describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {fuseOptimizer} from '../../src/index.js';
import {lcg} from './support.js';

const FIT = {epochs: 2, batchSize: 16, shuffle: false, verbose: 0} as const;

function makeData(): {x: tf.Tensor2D; y: tf.Tensor2D} {
  const x = tf.tensor2d(lcg(64 * 8, 5), [64, 8]);
  const y = tf.tidy(() => tf.sum(x.slice([0, 0], [64, 3]), 1, true).mul(0.5) as tf.Tensor2D);
  return {x, y};
}

function makeMlp(): tf.Sequential {
  const dense = (units: number, seed: number, inputShape?: number[]) =>
    tf.layers.dense({
      units,
      activation: units === 1 ? 'linear' : 'relu',
      kernelInitializer: tf.initializers.glorotUniform({seed}),
      ...(inputShape ? {inputShape} : {}),
    });
  return tf.sequential({layers: [dense(16, 1, [8]), dense(16, 2), dense(1, 3)]});
}

function weightsOf(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync() as Float32Array);
}

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

describe('fuseOptimizer with model.fit on tfjs-node', () => {
  describeBackends(['tensorflow'], () => {
    it('fits like tfjs Adam (losses within 1e-4) with 2 TF ops per variable per step', async () => {
      const {x, y} = makeData();
      const plain = makeMlp();
      const fusedModel = makeMlp();
      plain.compile({optimizer: tf.train.adam(0.01), loss: 'meanSquaredError'});
      const opt = fuseOptimizer(tf.train.adam(0.01));
      fusedModel.compile({optimizer: opt, loss: 'meanSquaredError'});
      const a = await plain.fit(x, y, FIT);
      const b = await fusedModel.fit(x, y, FIT);
      expect(opt.mode).toBe('fused');
      expect(opt.iterations).toBe(8);
      // A wiring check (a wrong learning rate, slot or bias correction is off by far more): with
      // the model in the loop, rounding differences feed back, so this is no rounding bound; the
      // bound on the update itself is in numerics.test.ts.
      (b.history.loss as number[]).forEach((l, i) => {
        const ref = (a.history.loss as number[])[i]!;
        expect(Math.abs(l - ref)).toBeLessThanOrEqual(1e-4 * ref);
      });
      const spy = new NativeOpSpy();
      try {
        await fusedModel.trainOnBatch(x, y);
        const fusedOps = spy.ops.filter(
          (op) => op === 'ResourceApplyAdam' || op === 'ReadVariableOp',
        );
        expect(fusedOps).toHaveLength(2 * fusedModel.trainableWeights.length);
      } finally {
        spy.restore();
      }
      plain.dispose();
      fusedModel.dispose();
      opt.dispose();
      tf.dispose([x, y]);
    });

    it('leaks no tensor and no native handle in fit, fitDataset or trainOnBatch', async () => {
      const {x, y} = makeData();
      const model = makeMlp();
      const opt = fuseOptimizer(tf.train.adam(0.01));
      model.compile({optimizer: opt, loss: 'meanSquaredError', metrics: ['mae']});
      await model.fit(x, y, {...FIT, epochs: 1}); // creates the resource variables
      const dataset = tf.data
        .zip({
          xs: tf.data.array(x.arraySync() as number[][]),
          ys: tf.data.array(y.arraySync() as number[][]),
        })
        .batch(16);
      await expectNoLeaks(async () => {
        await model.fit(x, y, FIT);
        await model.fitDataset(dataset, {epochs: 2, verbose: 0});
        await model.trainOnBatch(x, y);
      });
      expect(opt.iterations).toBe(4 + 8 + 8 + 1);
      model.dispose();
      opt.dispose();
      tf.dispose([x, y]);
    });

    it('saves with includeOptimizer as the wrapped class; a reload fused again continues exactly', async () => {
      const {x, y} = makeData();
      const model = makeMlp();
      const opt = fuseOptimizer(tf.train.adam(0.01));
      model.compile({optimizer: opt, loss: 'meanSquaredError'});
      await model.fit(x, y, FIT);
      const loaded = await saveAndLoad(model);
      expect(loaded.optimizer.getClassName()).toBe('Adam');
      expect(loaded.optimizer.iterations).toBe(8);
      // The original, restored from its own weights (tfjs's Adam recomputes beta^t on restore),
      // and the reloaded model, fused again, must then train identically.
      await opt.setWeights(await opt.getWeights());
      const refused = fuseOptimizer(loaded.optimizer);
      loaded.compile({optimizer: refused, loss: 'meanSquaredError'});
      await model.fit(x, y, FIT);
      await loaded.fit(x, y, FIT);
      expect(refused.mode).toBe('fused');
      expect(refused.iterations).toBe(16);
      weightsOf(model).forEach((w, k) => {
        expectBitsEqual(weightsOf(loaded)[k]!, w);
      });
      model.dispose();
      loaded.dispose();
      opt.dispose();
      refused.dispose();
      tf.dispose([x, y]);
    });
  });
});
