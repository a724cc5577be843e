import * as tf from '@tensorflow/tfjs';
import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {roundArray} from '@tfjs-amp/kernels';
import {
  applyPolicy,
  loadLayersModelWithPolicy,
  ModelFileError,
  saveModelWithPolicy,
} from '../index.js';
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

  describe('corrupt weight files (issue #13 defect 5)', () => {
    /** A mixed_float16 model saved with float16 weights: 134 bytes of weights.bin. */
    async function savedDir(): Promise<string> {
      const dir = mkdtempSync(join(tmpdir(), 'bench-io-'));
      const model = tf.sequential({
        layers: [
          tf.layers.dense({name: 'hidden', units: 8, inputShape: [4], activation: 'relu'}),
          tf.layers.dense({name: 'out', units: 3}),
        ],
      });
      applyPolicy(model, 'mixed_float16');
      await saveModelWithPolicy(model, modelDirectoryHandler(dir), {saveWeightsAs: 'float16'});
      model.dispose();
      return dir;
    }

    it('names weights.bin and the cut-off weight when the file is truncated; leaks nothing', async () => {
      const dir = await savedDir();
      const bin = join(dir, 'weights.bin');
      writeFileSync(bin, readFileSync(bin).subarray(0, 132));
      await expectNoLeaks(async () => {
        await expect(loadLayersModelWithPolicy(modelDirectoryHandler(dir))).rejects.toThrow(
          `readModelArtifacts: the weight data of '${join(dir, 'model.json')}' ('${bin}', 132 ` +
            "bytes) is 132 bytes but its manifest needs 134: weight 'out/bias' " +
            `(float32 stored as float16, shape [3]) should be at '${bin}' (its bytes 128–134) ` +
            'and is cut off.',
        );
        await expect(tf.loadLayersModel(modelDirectoryHandler(dir))).rejects.toThrow(
          /is 132 bytes but its manifest needs 134/,
        );
      });
    });

    it('refuses a 0xFF-filled weights.bin (all NaN) unless allowNonFiniteWeights (the handler decides)', async () => {
      const dir = await savedDir();
      const bin = join(dir, 'weights.bin');
      writeFileSync(bin, new Uint8Array(134).fill(0xff));
      await expectNoLeaks(async () => {
        await expect(loadLayersModelWithPolicy(modelDirectoryHandler(dir))).rejects.toThrow(
          `readModelArtifacts: weight 'hidden/kernel' of '${join(dir, 'model.json')}', ` +
            `in '${bin}' (its bytes 0–64), holds NaN at index 0 (32 of its 32 values are NaN ` +
            'or ±Inf).',
        );
      });
      const loaded = await loadLayersModelWithPolicy(
        modelDirectoryHandler(dir, {allowNonFiniteWeights: true}),
      );
      expect(Number.isNaN(loaded.getWeights()[0]!.dataSync()[0])).toBe(true);
      loaded.dispose();
    });

    it('names a missing weight file and a model.json that is not JSON', async () => {
      const dir = await savedDir();
      rmSync(join(dir, 'weights.bin'));
      expect(() => readModelArtifacts(join(dir, 'model.json'))).toThrow(ModelFileError);
      expect(() => readModelArtifacts(join(dir, 'model.json'))).toThrow(
        `readModelArtifacts: cannot read weight file (listed in ${join(dir, 'model.json')}) ` +
          `'${join(dir, 'weights.bin')}' (ENOENT).`,
      );
      writeFileSync(join(dir, 'model.json'), '{"modelTopology": ');
      expect(() => readModelArtifacts(join(dir, 'model.json'))).toThrow(
        `readModelArtifacts: '${join(dir, 'model.json')}' is not valid JSON`,
      );
      expect(() => readModelArtifacts(join(dir, 'absent.json'))).toThrow(
        `readModelArtifacts: cannot read model file '${join(dir, 'absent.json')}' (ENOENT).`,
      );
    });
  });

  it("reads weights saved with saveWeightsAs: 'bfloat16' back exactly (decoded to float32)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-io-'));
    const model = tf.sequential({
      layers: [tf.layers.dense({name: 'd', units: 3, inputShape: [4]})],
    });
    applyPolicy(model, 'mixed_bfloat16');
    await saveModelWithPolicy(model, modelDirectoryHandler(dir), {saveWeightsAs: 'bfloat16'});
    expect(statSync(join(dir, 'weights.bin')).size).toBe((4 * 3 + 3) * 2);
    await expectNoLeaks(async () => {
      const loaded = await tf.loadLayersModel(modelDirectoryHandler(dir));
      for (const [i, w] of loaded.getWeights().entries()) {
        const original = model.getWeights()[i]!.dataSync() as Float32Array;
        expectBitsEqual(w.dataSync(), roundArray(original, 'bfloat16'), `weight ${i}`);
      }
      loaded.dispose();
    });
    model.dispose();
  });
});
