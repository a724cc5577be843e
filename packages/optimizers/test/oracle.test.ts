// AdamW and Nadam against Keras 3 and PyTorch: 100 float32 steps of each library's own optimizer
// (tools/oracles/optimizers/generate_fixtures.py), replayed here from the same weights and gradients.
import {readFileSync} from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import {describeBackends, expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {AdamW, Nadam} from '../src/index.js';
import type {AdamWOptions, NadamOptions} from '../src/index.js';

interface Fixture {
  steps: number;
  shapes: number[][];
  init: number[][];
  a: number[][];
  b: number[][];
  stream: number[][][];
  versions: Record<string, string>;
  cases: {
    name: string;
    library: 'keras' | 'torch';
    optimizer: 'AdamW' | 'Nadam';
    source: 'stream' | 'quadratic';
    options: AdamWOptions & NadamOptions;
    checkpoints: Record<string, number[][]>;
  }[];
}

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/optimizer-trajectories.json', import.meta.url), 'utf8'),
) as Fixture;

/**
 * The bound: 1e-6 relative. Relative to max(|reference|, 0.1) per element, so a weight passing
 * near zero is judged against the scale it moves on (lr 0.01 × 100 steps ≈ 1) rather than
 * against a vanishing value. Each library evaluates the same real-number formula in float32
 * with a different operation order (and float64 or float32 scalars), so trajectories agree to
 * a few float32 roundings per step, not bit for bit.
 */
const RELATIVE = 1e-6;
const FLOOR = 0.1;

/** Runs one case here and returns the weights at each checkpoint. */
function replay(c: Fixture['cases'][number]): Record<string, number[][]> {
  const variables = fixture.init.map((w, i) =>
    tf.tidy(() => tf.variable(tf.tensor(w, fixture.shapes[i]))),
  );
  const optimizer = c.optimizer === 'AdamW' ? new AdamW(c.options) : new Nadam(c.options);
  const a = fixture.a.map((v, i) => tf.tensor(v, fixture.shapes[i]));
  const b = fixture.b.map((v, i) => tf.tensor(v, fixture.shapes[i]));
  const out: Record<string, number[][]> = {};
  for (let step = 0; step < fixture.steps; step++) {
    const grads = tf.tidy(() =>
      variables.map((w, i) =>
        c.source === 'stream'
          ? tf.tensor(fixture.stream[step]![i]!, fixture.shapes[i])
          : tf.mul(a[i]!, tf.sub(w, b[i]!)),
      ),
    );
    optimizer.applyGradients(variables.map((w, i) => ({name: w.name, tensor: grads[i]!})));
    tf.dispose(grads);
    if (c.checkpoints[String(step + 1)] != null) {
      out[String(step + 1)] = variables.map((w) => Array.from(w.dataSync()));
    }
  }
  optimizer.dispose();
  tf.dispose([...variables, ...a, ...b]);
  return out;
}

/** Largest |ours − ref| / max(|ref|, FLOOR) over all checkpoints and elements. */
function worstRelative(ours: Record<string, number[][]>, ref: Record<string, number[][]>): number {
  let worst = 0;
  for (const [step, weights] of Object.entries(ref)) {
    weights.forEach((w, i) => {
      w.forEach((r, j) => {
        const e = Math.abs(ours[step]![i]![j]! - r) / Math.max(Math.abs(r), FLOOR);
        worst = Math.max(worst, e);
      });
    });
  }
  return worst;
}

describeBackends(['cpu', 'wasm', 'tensorflow'], (backend) => {
  describe(`AdamW and Nadam against Keras ${fixture.versions.keras} and PyTorch ${fixture.versions.torch} on ${backend}`, () => {
    it.each(fixture.cases.map((c) => [c.name, c] as const))(
      '%s: within 1e-6 relative over 100 steps',
      async (_name, c) => {
        const ours = await expectNoLeaks(() => replay(c));
        const worst = worstRelative(ours, c.checkpoints);
        expect(worst).toBeLessThan(RELATIVE);
        // The weights really moved: the bound is far below the distance travelled.
        const moved = Math.abs(c.checkpoints['100']![0]![0]! - fixture.init[0]![0]!);
        expect(moved).toBeGreaterThan(1000 * RELATIVE);
      },
    );

    it('the library choices matter: Keras 3 AdamW differs from PyTorch placement beyond the bound', async () => {
      // Same case, wrong epsilon placement and Nadam schedule: the test would catch either.
      const keras = fixture.cases.find((c) => c.name.startsWith('keras AdamW (weight_decay 0.1'))!;
      const swapped = {...keras, options: {...keras.options, convention: 'torch' as const}};
      expect(
        worstRelative(await expectNoLeaks(() => replay(swapped)), keras.checkpoints),
      ).toBeGreaterThan(10 * RELATIVE);
      const nadamKeras = fixture.cases.find((c) => c.name.startsWith('keras Nadam (defaults'))!;
      const torchSchedule = {...nadamKeras, options: {...nadamKeras.options, momentumDecay: 0.004}};
      expect(
        worstRelative(await expectNoLeaks(() => replay(torchSchedule)), nadamKeras.checkpoints),
      ).toBeGreaterThan(10 * RELATIVE);
    });
  });
});
