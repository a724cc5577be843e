import * as tf from '@tensorflow/tfjs';
import {mkdtempSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {main} from '../src/main.js';

describe('custom-loop example (short settings)', () => {
  it('trains with scaleLoss / unscaleGradients, reports both accuracies and reloads the half-size model', async () => {
    const out = mkdtempSync(join(tmpdir(), 'custom-loop-'));
    const lines: string[] = [];
    await tf.setBackend('wasm');
    const result = await expectNoLeaks(() =>
      main(['--epochs', '2', '--train', '1024', '--test', '500', '--out', out], (l) =>
        lines.push(l),
      ),
    );
    const r = result!;
    const text = lines.join('\n');
    expect(
      lines.filter((l) =>
        /^epoch \d\/2: loss float32 \d+\.\d{4}, mixed_float16 \d+\.\d{4}/.test(l),
      ),
    ).toHaveLength(2);
    expect(text).toMatch(/float32 +\d+\.\d\d%/);
    expect(text).toMatch(/mixed_float16 +\d+\.\d\d%/);
    // Every one of the 2 × 16 steps is either applied or skipped.
    expect(r.appliedSteps + r.skippedSteps).toBe(32);
    expect(r.mixedEpochLoss[1]!).toBeLessThan(r.mixedEpochLoss[0]!);
    expect(r.float32Accuracy).toBeGreaterThan(0.5);
    expect(r.mixedAccuracy).toBeGreaterThan(0.5);
    expect(r.float16WeightBytes).toBe(5258 * 2);
    expect(r.reloadedPolicy).toBe('mixed_float16');
    expect(r.reloadedAccuracy).toBe(r.mixedAccuracy);
  });
});
