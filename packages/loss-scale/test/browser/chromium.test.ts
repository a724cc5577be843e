// 'device' mode in headless Chromium: webgl (SwiftShader GL) and webgpu (SwiftShader Vulkan).
// There 'auto' picks 'device'; a step reads nothing back (spied in the page); on webgl the
// variables end bit-identical to 'sync' mode; model.fit trains without losing the WebGPU device
// (which 'sync' mode's per-step dataSync loses).
import {existsSync} from 'node:fs';
import {announceSkip} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {nextScale} from '../../src/scale-rule.js';
import {resolveLossScaleOptions} from '../../src/options.js';
import type {PageResult} from './device-mode-page.js';
import {CHROMIUM, openPage} from './open-page.js';

const HAS_CHROMIUM = existsSync(CHROMIUM);
const REQUIRED = process.env.CI === 'true' || process.env.TFJS_AMP_REQUIRE_BROWSER === '1';
const SUITE = "LossScaleOptimizer 'device' mode in headless Chromium";

if (!HAS_CHROMIUM && !REQUIRED) {
  announceSkip(
    SUITE,
    `no Chromium at ${CHROMIUM}`,
    'install it (`sudo apt-get install chromium`) or set CHROMIUM_PATH to a Chromium binary',
  );
}

/** The page's six small steps (one overflowing) through the plain-number rule. */
function expectedSmallState() {
  const options = resolveLossScaleOptions({initialScale: 8, growthInterval: 2});
  let state = {lossScale: 8, goodSteps: 0, hysteresisLeft: 1};
  for (const overflowed of [false, false, true, false, false, false]) {
    state = nextScale(state, overflowed, options);
  }
  return state;
}

describe.skipIf(!HAS_CHROMIUM && !REQUIRED)(SUITE, () => {
  for (const backend of ['webgl', 'webgpu'] as const) {
    describe(`on ${backend}`, () => {
      let result: PageResult;
      it('runs the page', async () => {
        if (!HAS_CHROMIUM) throw new Error(`${CHROMIUM} is missing; install chromium.`);
        result = await openPage(backend);
        expect(result.errors).toEqual([]);
        expect(result.backend).toBe(backend);
      });

      it("picks 'device' under 'auto' and reads nothing back during steps", () => {
        expect(result.autoMode).toBe('device');
        expect(result.deviceStepReads).toBe(0);
        const want = expectedSmallState();
        expect(result.deviceState).toMatchObject({
          lossScale: want.lossScale,
          goodSteps: want.goodSteps,
          skippedSteps: 1,
          iterations: 6,
          appliedSteps: 5,
        });
        // 'sync' mode runs only where it does not lose the device.
        if (backend === 'webgl') expect(result.sameAsSync).toBe(true);
      });

      it('trains through model.fit, skipping the overflowing first steps, without losing the device', () => {
        expect(result.deviceLost).toBe(false);
        expect(result.fitSkipped).toBeGreaterThan(0);
        expect(result.fitLosses.every(Number.isFinite)).toBe(true);
        expect(result.fitLosses.at(-1)!).toBeLessThan(result.fitLosses[0]!);
      });
    });
  }
});
