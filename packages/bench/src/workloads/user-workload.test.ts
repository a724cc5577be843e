import * as tf from '@tensorflow/tfjs';
import {mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {expectBitsEqual, expectNoLeaks, useBackend} from '@tfjs-amp/test-utils';
import {beforeAll, describe, expect, it} from 'vitest';
import {modelDirectoryHandler} from '@tfjs-amp/policy/node';
import {resolveWorkload} from './index.js';
import {loadUserWorkload} from './user-workload.js';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/custom-workload.mjs', import.meta.url));

function disposeData(d: {
  xTrain: tf.Tensor;
  yTrain: tf.Tensor;
  xTest: tf.Tensor;
  yTest: tf.Tensor;
}) {
  tf.dispose([d.xTrain, d.yTrain, d.xTest, d.yTest]);
}

describe('loadUserWorkload', () => {
  beforeAll(() => useBackend('wasm'));

  it('loads a module whose default export is a Workload', async () => {
    const w = await resolveWorkload(FIXTURE);
    expect(w.name).toBe('tiny-random');
    await expectNoLeaks(async () => {
      const model = await w.buildModel(1);
      const data = await w.loadData({trainSize: 10, testSize: 5, seed: 0});
      const y = model.predict(data.xTest) as tf.Tensor;
      expect(y.shape).toEqual([5, 4]);
      y.dispose();
      model.dispose();
      disposeData(data);
    });
  });

  it('loads a saved model.json as an MNIST workload starting from the saved weights', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-model-'));
    const saved = tf.sequential();
    saved.add(tf.layers.dense({units: 10, activation: 'softmax', inputShape: [784]}));
    await saved.save(modelDirectoryHandler(dir));
    const expected = saved.getWeights()[0]!.dataSync().slice();
    saved.dispose();

    const w = await loadUserWorkload(join(dir, 'model.json'));
    await expectNoLeaks(async () => {
      const model = await w.buildModel(0);
      expectBitsEqual(model.getWeights()[0]!.dataSync(), expected, 'kernel');
      model.dispose();
      const data = await w.loadData({trainSize: 8, testSize: 4, seed: 0});
      expect(data.xTrain.shape).toEqual([8, 784]);
      disposeData(data);
    });
  });

  it('refuses a saved model that is not MNIST-shaped, saying which shapes work', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-model-'));
    const saved = tf.sequential();
    saved.add(tf.layers.dense({units: 3, inputShape: [5]}));
    await saved.save(modelDirectoryHandler(dir));
    saved.dispose();
    await expect(loadUserWorkload(join(dir, 'model.json'))).rejects.toThrow(
      /takes \[5\] and gives \[3\]; .* must take \[784\], \[28,28,1\] or \[28,28\] and give \[10\]/,
    );
  });

  it('names a missing file, an unknown extension and an export that is no Workload', async () => {
    await expect(loadUserWorkload('./nope/model.json')).rejects.toThrow(
      /no such file '\.\/nope\/model\.json'/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'bench-mod-'));
    writeFileSync(join(dir, 'w.txt'), '');
    await expect(loadUserWorkload(join(dir, 'w.txt'))).rejects.toThrow(
      /unknown file type '\.txt'\. Allowed: \.cjs, \.js, \.json, \.mjs, \.mts, \.ts/,
    );
    writeFileSync(
      join(dir, 'bad.mjs'),
      "export default {name: 'x', description: 'd', dataDescription: 'd', learningRate: 1, buildModel: 3};",
    );
    await expect(loadUserWorkload(join(dir, 'bad.mjs'))).rejects.toThrow(
      /workload\.buildModel must be a function; got 3/,
    );
    writeFileSync(join(dir, 'none.mjs'), 'export const other = 1;');
    await expect(loadUserWorkload(join(dir, 'none.mjs'))).rejects.toThrow(
      /the default \(or `workload`\) export must be a Workload object .*; got undefined/,
    );
  });
});
