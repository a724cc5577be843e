// AdamW and Nadam in model.fit, fitDataset, trainOnBatch and model.save / loadLayersModel with
// includeOptimizer, on every backend the tests run.
import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import '@tfjs-amp/kernels'; // the AmpQuantize kernel that 16-bit storage uses
import {AdamW, type AdamWOptions, Nadam, adamw, nadam} from '../src/index.js';

const FIT = {epochs: 2, batchSize: 16, shuffle: false, verbose: 0} as const;

function makeData(): {x: tf.Tensor2D; y: tf.Tensor2D} {
  return tf.tidy(() => {
    const x = tf.randomUniform([64, 6], -1, 1, 'float32', 7) as tf.Tensor2D;
    const y = tf.sum(x.slice([0, 0], [64, 3]), 1, true).mul(0.5) as tf.Tensor2D;
    return {x, y};
  });
}

function makeModel(optimizer: tf.Optimizer): tf.Sequential {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        units: 8,
        activation: 'relu',
        inputShape: [6],
        kernelInitializer: tf.initializers.glorotUniform({seed: 1}),
      }),
      tf.layers.dense({units: 1, kernelInitializer: tf.initializers.glorotUniform({seed: 2})}),
    ],
  });
  model.compile({optimizer, loss: 'meanSquaredError'});
  return model;
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
  const json = JSON.parse(JSON.stringify({...saved, weightData: undefined}));
  return tf.loadLayersModel(tf.io.fromMemory({...json, weightData: saved!.weightData}));
}

const bits = (t: tf.Tensor) => new Uint32Array((t.dataSync() as Float32Array).slice().buffer);

const CASES = [
  ['AdamW', () => adamw({learningRate: 0.01, weightDecay: 0.01})],
  ['Nadam', () => nadam({learningRate: 0.01, weightDecay: 0.01})],
  [
    'AdamW, bfloat16 state, stochastic',
    () => adamw({stateFormat: 'bfloat16', stateRounding: 'stochastic', seed: 3}),
  ],
] as const;

describeBackends(['cpu', 'wasm', 'tensorflow'], () => {
  describe.each(CASES)('%s in a LayersModel', (_name, make) => {
    it('trains with fit, fitDataset and trainOnBatch, leaving no tensor behind', async () => {
      const {x, y} = makeData();
      const model = makeModel(make());
      const first = (await model.fit(x, y, {...FIT, epochs: 1})).history.loss![0] as number;
      // The slots exist after the first step; from then on nothing may accumulate.
      const history = await expectNoLeaks(() => model.fit(x, y, FIT));
      const last = history.history.loss!.at(-1) as number;
      expect(last).toBeLessThan(first);
      const dataset = tf.data
        .zip({xs: tf.data.array(tf.unstack(x)), ys: tf.data.array(tf.unstack(y))})
        .batch(16);
      await expectNoLeaks(() => model.fitDataset(dataset, {epochs: 1, verbose: 0}));
      await expectNoLeaks(() => model.trainOnBatch(x, y));
      tf.dispose([x, y]);
      model.dispose();
    });

    it('saves and restores with includeOptimizer, then continues exactly as the original', async () => {
      const {x, y} = makeData();
      const model = makeModel(make());
      await model.fit(x, y, FIT);
      const loaded = await saveAndLoad(model);
      const original = model.optimizer as AdamW | Nadam;
      const restored = loaded.optimizer as AdamW | Nadam;
      expect(restored.getClassName()).toBe(original.getClassName());
      expect(restored.getConfig()).toEqual(original.getConfig());
      expect(restored.iterations).toBe(original.iterations);
      const [a, b] = [await original.getWeights(), await restored.getWeights()];
      expect(b.map((w) => w.name.replace(/_\d+/g, ''))).toEqual(
        a.map((w) => w.name.replace(/_\d+/g, '')),
      );
      a.forEach((w, i) => {
        expectBitsEqual(bits(b[i]!.tensor), bits(w.tensor));
      });
      tf.dispose([a[0]!.tensor, b[0]!.tensor]); // iter scalars are new tensors
      await model.trainOnBatch(x, y);
      await loaded.trainOnBatch(x, y);
      model.getWeights().forEach((w, i) => {
        expectBitsEqual(bits(loaded.getWeights()[i]!), bits(w));
      });
      tf.dispose([x, y]);
      model.dispose();
      loaded.dispose();
    });
  });
});

describe('AdamW and Nadam configuration', () => {
  it('round-trip through getConfig / fromConfig and the serialization registry', () => {
    const map = tf.serialization.SerializationMap.getMap().classNameMap;
    expect(map.AdamW?.[0]).toBe(AdamW);
    expect(map.Nadam?.[0]).toBe(Nadam);
    const a = adamw({weightDecay: 0.1, convention: 'torch', stateFormat: 'bfloat16', seed: 9});
    const back = AdamW.fromConfig(AdamW, a.getConfig());
    expect(back.getConfig()).toEqual(a.getConfig());
    expect(a.getConfig()).toMatchObject({
      learningRate: 0.001,
      weightDecay: 0.1,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
      convention: 'torch',
      stateFormat: 'bfloat16',
      stateRounding: 'nearest',
      weightFormat: 'float32',
      seed: 9,
    });
    const n = nadam({momentumDecay: 0.004});
    expect(Nadam.fromConfig(Nadam, n.getConfig()).getConfig()).toEqual(n.getConfig());
    expect(n.getConfig()).toMatchObject({
      weightDecay: 0,
      momentumDecay: 0.004,
      convention: 'keras',
    });
    for (const o of [a, back as AdamW, n]) o.dispose();
  });

  it('rejects bad options with messages that name them', () => {
    expect(() => adamw({beta1: 1})).toThrow(
      new RangeError('AdamW: beta1 must be a finite number in [0, 1); got 1.'),
    );
    expect(() => nadam({learningRate: -1})).toThrow(RangeError);
    expect(() => adamw({weightDecay: Number.NaN})).toThrow(/weightDecay must be a finite number/);
    expect(() => adamw({convention: 'pytorch' as 'torch'})).toThrow(
      new TypeError("AdamW: unknown convention 'pytorch'. Allowed: keras, torch."),
    );
    expect(() => nadam({stateFormat: 'int8' as 'bfloat16'})).toThrow(
      new TypeError("Nadam: unknown stateFormat 'int8'. Allowed: bfloat16, float16, float32."),
    );
    expect(() => adamw({seed: 2 ** 21})).toThrow(RangeError);
    expect(() => new AdamW(null as unknown as AdamWOptions)).toThrow(TypeError);
  });

  it('setWeights rejects an odd number of slots and frees the slots it replaces', async () => {
    const opt = adamw();
    const v = tf.variable(tf.ones([3]));
    const g = tf.ones([3]);
    opt.applyGradients([{name: v.name, tensor: g}]);
    const weights = await opt.getWeights();
    await expect(opt.setWeights(weights.slice(0, 2))).rejects.toThrow(/odd/);
    const copies = weights.map((w) => ({name: w.name, tensor: tf.clone(w.tensor)}));
    await expectNoLeaks(() => opt.setWeights(copies));
    tf.dispose([...copies.map((c) => c.tensor), weights[0]!.tensor, v, g]);
    opt.dispose();
  });
});
