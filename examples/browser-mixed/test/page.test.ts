// Drives the page in headless Chromium (Debian's, through playwright-core): builds it with vite,
// serves the build on 127.0.0.1, trains through the pickers and checks from the DOM that training
// ran, the charts drew and mixed_float16 with loss scaling reaches 90% on MNIST. Screenshots go to
// test-output/<backend>.png.
import {existsSync, mkdirSync, mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {announceSkip} from '@tfjs-amp/test-utils';
import {type Browser, chromium, type Page} from 'playwright-core';
import {build, type PreviewServer, preview} from 'vite';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {writeMnistAssets} from '../scripts/write-mnist.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SHOTS = join(ROOT, 'test-output');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const IN_CI = process.env.CI === 'true';
const HAS_CHROMIUM = existsSync(CHROMIUM);
/** Parameters of the page's MLP 784-128-64-10. */
const PARAMS = 109_386;

if (!HAS_CHROMIUM && !IN_CI) {
  announceSkip(
    'browser-mixed page in headless Chromium',
    `no Chromium at ${CHROMIUM}`,
    'install it (`sudo apt-get install chromium`) or set CHROMIUM_PATH to a Chromium binary',
  );
}

interface PageState {
  state: string;
  status: string;
  backend: string | null;
  webgpu: string | null;
  leakedTensors: string | null;
  runs: string | null;
  cells: Record<string, string>;
  charts: Record<string, {id: string; points: number; width: number; height: number}[]>;
}

async function readState(page: Page): Promise<PageState> {
  return page.evaluate(() => {
    const html = document.documentElement;
    const cells: Record<string, string> = {};
    for (const td of document.querySelectorAll<HTMLElement>('#comparison td[data-metric]')) {
      cells[`${td.dataset.run}.${td.dataset.metric}`] = td.dataset.value!;
      if (td.dataset.lossScaleMode != null) {
        cells[`${td.dataset.run}.lossScaleMode`] = td.dataset.lossScaleMode;
      }
    }
    const charts: PageState['charts'] = {};
    for (const fig of document.querySelectorAll<HTMLElement>('figure[data-chart]')) {
      charts[fig.dataset.chart!] = [...fig.querySelectorAll<SVGPathElement>('path.series')].map(
        (p) => {
          const box = p.getBBox();
          return {
            id: p.dataset.series!,
            points: Number(p.dataset.points),
            width: box.width,
            height: box.height,
          };
        },
      );
    }
    return {
      state: html.dataset.state ?? '',
      status: document.getElementById('status')!.textContent ?? '',
      backend: html.dataset.backend ?? null,
      webgpu: html.dataset.webgpu ?? null,
      leakedTensors: html.dataset.leakedTensors ?? null,
      runs: document.getElementById('comparison')!.dataset.runs ?? null,
      cells,
      charts,
    };
  });
}

describe.skipIf(!HAS_CHROMIUM && !IN_CI)('browser-mixed page in headless Chromium', () => {
  let browser: Browser;
  let server: PreviewServer;
  let url: string;
  let outDir: string;

  beforeAll(async () => {
    if (!HAS_CHROMIUM) {
      throw new Error(
        `CI=true but ${CHROMIUM} is missing; .ci/run installs it (apt-get install chromium).`,
      );
    }
    writeMnistAssets();
    outDir = mkdtempSync(join(tmpdir(), 'browser-mixed-'));
    const configFile = join(ROOT, 'vite.config.ts');
    await build({root: ROOT, configFile, logLevel: 'warn', build: {outDir, emptyOutDir: true}});
    server = await preview({
      root: ROOT,
      configFile,
      logLevel: 'warn',
      build: {outDir},
      preview: {host: '127.0.0.1', port: 0, strictPort: false},
    });
    url = server.resolvedUrls!.local[0]!;
    mkdirSync(SHOTS, {recursive: true});
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        // WebGL on SwiftShader (no GPU here) and WebGPU where Chromium can offer it.
        '--use-angle=swiftshader',
        '--enable-unsafe-swiftshader',
        '--enable-unsafe-webgpu',
        '--enable-features=Vulkan',
        '--use-webgpu-adapter=swiftshader',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (outDir != null) rmSync(outDir, {recursive: true, force: true});
  });

  /**
   * Opens the page, picks backend and policy in the form, clicks Train and waits until the page
   * says done (or unavailable, or error). Returns the DOM state and the page's errors.
   */
  async function train(
    backend: string,
    options: {policy: string; epochs: number; compare: boolean; query?: string},
    timeoutMs: number,
  ) {
    const page = await browser.newPage({viewport: {width: 1360, height: 820}});
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    await page.goto(`${url}${options.query ?? ''}`, {waitUntil: 'load'});
    await page.selectOption('#backend', backend);
    await page.selectOption('#policy', options.policy);
    await page.fill('#epochs', String(options.epochs));
    await page.setChecked('#compare', options.compare);
    await page.click('#train');
    await page.waitForFunction(
      () => ['done', 'unavailable', 'error'].includes(document.documentElement.dataset.state ?? ''),
      null,
      {timeout: timeoutMs, polling: 500},
    );
    const state = await readState(page);
    await page.screenshot({path: join(SHOTS, `${backend}.png`), fullPage: true});
    await page.close();
    return {state, problems};
  }

  /** What every finished run must show: charts through every step, no leaks, halved weights. */
  function expectTrained(state: PageState, policies: string[], steps: number): void {
    expect(state.state, state.status).toBe('done');
    expect(state.leakedTensors).toBe('0');
    expect(state.runs).toBe(String(policies.length));
    expect(state.charts.loss!.map((s) => s.id)).toEqual(policies);
    for (const s of state.charts.loss!) {
      expect(s.points).toBe(steps);
      expect(s.width).toBeGreaterThan(200);
      expect(s.height).toBeGreaterThan(20);
    }
    // One loss-scale event per step, in sync and in device mode alike.
    for (const chart of ['loss-scale', 'skipped']) {
      expect(state.charts[chart]!.map((s) => s.id)).toEqual(['mixed_float16']);
      expect(state.charts[chart]![0]!.points).toBe(steps);
      expect(state.charts[chart]![0]!.width).toBeGreaterThan(200);
    }
    for (const p of policies) {
      expect(Number(state.cells[`${p}.steps`])).toBe(steps);
      expect(Number(state.cells[`${p}.stepMs`])).toBeGreaterThan(0);
      expect(Number(state.cells[`${p}.savedWeightBytes`])).toBe(PARAMS * (p === 'float32' ? 4 : 2));
    }
    expect(Number(state.cells['mixed_float16.lossScale'])).toBeGreaterThanOrEqual(1);
    expect(Number(state.cells['mixed_float16.skippedSteps'])).toBeGreaterThanOrEqual(0);
  }

  it('wasm: float32 vs mixed_float16 side by side, mixed_float16 reaches 90%', async () => {
    const {state, problems} = await train(
      'wasm',
      {policy: 'mixed_float16', epochs: 3, compare: true},
      240_000,
    );
    expect(problems).toEqual([]);
    expectTrained(state, ['float32', 'mixed_float16'], 375);
    expect(state.backend).toMatch(/^wasm/);
    expect(state.cells['mixed_float16.lossScaleMode']).toBe('sync');
    expect(Number(state.cells['mixed_float16.testAccuracy'])).toBeGreaterThanOrEqual(0.9);
    expect(Number(state.cells['float32.testAccuracy'])).toBeGreaterThanOrEqual(0.9);
  });

  it('webgl (SwiftShader): mixed_float16 with sync-free loss scaling reaches 90%', async () => {
    const {state, problems} = await train(
      'webgl',
      {policy: 'mixed_float16', epochs: 2, compare: false},
      420_000,
    );
    expect(problems).toEqual([]);
    expectTrained(state, ['mixed_float16'], 250);
    expect(state.backend).toMatch(/^webgl/);
    expect(state.cells['mixed_float16.lossScaleMode']).toBe('device');
    expect(Number(state.cells['mixed_float16.testAccuracy'])).toBeGreaterThanOrEqual(0.9);
  });

  it('webgpu: trains a short run without losing the device, or the page says it is unavailable', async () => {
    // WebGPU on SwiftShader takes about a second a step, so only 10 steps here: this checks that
    // the sync-free LossScaleOptimizer trains in fit with no device loss, not the accuracy target.
    const {state, problems} = await train(
      'webgpu',
      {policy: 'mixed_float16', epochs: 1, compare: false, query: '?train=640'},
      180_000,
    );
    expect(problems).toEqual([]);
    if (state.state === 'unavailable') {
      expect(state.webgpu).toBe('unavailable');
      expect(state.status).toMatch(/WebGPU is unavailable/);
      console.log(`[browser-mixed] webgpu unavailable in headless Chromium: ${state.status}`);
      return;
    }
    expectTrained(state, ['mixed_float16'], 10);
    expect(state.webgpu).toBe('available');
    expect(state.backend).toMatch(/^webgpu/);
    // No read back during a step on a GPU backend: the optimizer ran sync-free.
    expect(state.cells['mixed_float16.lossScaleMode']).toBe('device');
    expect(Number(state.cells['mixed_float16.testAccuracy'])).toBeGreaterThan(0.5);
    console.log(`[browser-mixed] webgpu ran on ${state.backend}`);
  });
});
