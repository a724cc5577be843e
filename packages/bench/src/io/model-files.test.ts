import * as tf from '@tensorflow/tfjs';
import {mkdtempSync, readdirSync, statSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {expectBitsEqual, expectNoLeaks, useBackend} from '@tfjs-amp/test-utils';
import {beforeAll, describe, expect, it} from 'vitest';
import {modelDirectoryHandler, readModelArtifacts} from './model-files.js';

describe('modelDirectoryHandler', () => {
  beforeAll(() => useBackend('wasm'));

  it('saves model.json + weights.bin and loads the same weights back, bit for bit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-io-'));
    await expectNoLeaks(async () => {
      const model = tf.sequential();
      model.add(tf.layers.dense({units: 3, inputShape: [4], activation: 'relu'}));
      model.add(tf.layers.dense({units: 2}));
      model.setUserDefinedMetadata({hello: 'world'});
      const result = await model.save(modelDirectoryHandler(dir));
      // (4·3 + 3 + 3·2 + 2) float32 values.
      expect(result.modelArtifactsInfo.weightDataBytes).toBe(23 * 4);
      expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
      expect(statSync(join(dir, 'weights.bin')).size).toBe(92);

      const loaded = await tf.loadLayersModel(modelDirectoryHandler(dir));
      const want = model.getWeights().map((w) => w.dataSync());
      for (const [i, w] of loaded.getWeights().entries()) {
        expectBitsEqual(w.dataSync(), want[i]!, `weight ${i}`);
      }
      expect(loaded.getUserDefinedMetadata()).toEqual({hello: 'world'});
      model.dispose();
      loaded.dispose();
    });
  });

  it('refuses a JSON file that is not a layers model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-io-'));
    const {writeFileSync} = await import('node:fs');
    writeFileSync(join(dir, 'x.json'), '{"weightsManifest": []}');
    expect(() => readModelArtifacts(join(dir, 'x.json'))).toThrow(/has no modelTopology/);
  });
});
