import * as tf from '@tensorflow/tfjs';
import {mkdtempSync, statSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {main} from '../src/main.js';

describe('mnist-mixed example (short settings)', () => {
  it('trains both models, prints both accuracies, saves half-size weights and reloads them exactly', async () => {
    const out = mkdtempSync(join(tmpdir(), 'mnist-mixed-'));
    const lines: string[] = [];
    await tf.setBackend('wasm');
    const result = await expectNoLeaks(() =>
      main(['--epochs', '2', '--train', '1024', '--test', '500', '--quiet', '--out', out], (l) =>
        lines.push(l),
      ),
    );
    expect(result).not.toBeNull();
    const r = result!;
    const text = lines.join('\n');
    expect(text).toMatch(/float32 +\d+\.\d\d%/);
    expect(text).toMatch(/mixed_float16 +\d+\.\d\d%/);
    expect(text).toContain('predictions identical to the trained model: yes');
    // 16 steps on 1024 digits: far above chance (10%) for both.
    expect(r.float32Accuracy).toBeGreaterThan(0.5);
    expect(r.mixedAccuracy).toBeGreaterThan(0.5);
    // 5,258 parameters: 4 bytes each in float32, 2 in float16.
    expect(r.float32WeightBytes).toBe(5258 * 4);
    expect(r.float16WeightBytes).toBe(5258 * 2);
    expect(statSync(join(out, 'weights.bin')).size).toBe(5258 * 2);
    expect(statSync(join(out, 'float32-weights', 'weights.bin')).size).toBe(5258 * 4);
    expect(r.reloadedPolicy).toBe('mixed_float16');
    expect(r.reloadedIdentical).toBe(true);
    expect(r.reloadedAccuracy).toBe(r.mixedAccuracy);
  });

  it('rejects a bad flag value with a clear message', async () => {
    await expect(main(['--epochs', 'x'], () => {})).rejects.toThrow(
      "mnist-mixed: --epochs must be an integer ≥ 1; got 'x'.",
    );
  });
});
