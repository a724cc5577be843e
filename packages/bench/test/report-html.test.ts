import {existsSync, mkdtempSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {pathToFileURL} from 'node:url';
import {type Browser, chromium, type Page} from 'playwright-core';
import {announceSkip} from '@tfjs-amp/test-utils';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {writeHtmlReport} from '../src/report/html.js';
import {fakeReport, fakeRun} from './support.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const IN_CI = process.env.CI === 'true';
const HAS_CHROMIUM = existsSync(CHROMIUM);

const report = fakeReport([
  fakeRun({policy: 'float32', medianMs: 10, steps: 40}),
  fakeRun({policy: 'mixed_float16', medianMs: 15, steps: 40, testAccuracy: 0.948}),
  fakeRun({policy: 'mixed_bfloat16', medianMs: 12.5, steps: 40}),
  fakeRun({policy: 'float16', lossScaling: 'none', medianMs: 14, steps: 40, diverged: true}),
  fakeRun({scenario: 'small-gradients', policy: 'float32', steps: 30}),
  fakeRun({scenario: 'small-gradients', policy: 'mixed_float16', steps: 30}),
  fakeRun({
    scenario: 'small-gradients',
    policy: 'mixed_float16',
    lossScaling: 'none',
    steps: 30,
    testAccuracy: 0.1,
  }),
]);

// Chromium is a system package (.ci/run installs Debian's); without it the test skips locally
// (saying so) and fails in CI.
if (!HAS_CHROMIUM && !IN_CI) {
  announceSkip(
    'report.html in headless Chromium',
    `no Chromium at ${CHROMIUM}`,
    'install it (`sudo apt-get install chromium`) or set CHROMIUM_PATH to a Chromium binary',
  );
}
describe.skipIf(!HAS_CHROMIUM && !IN_CI)('report.html in headless Chromium', () => {
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    if (!HAS_CHROMIUM)
      throw new Error(
        `CI=true but ${CHROMIUM} is missing; .ci/run installs it (apt-get install chromium).`,
      );
    const dir = mkdtempSync(join(tmpdir(), 'bench-html-'));
    const file = writeHtmlReport(report, dir);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({viewport: {width: 1280, height: 900}});
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console: ${m.text()}`);
    });
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href, {waitUntil: 'load'});
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('draws every chart without a script error or a network request', async () => {
    const state = await page.evaluate(() => ({
      rendered: document.documentElement.dataset.chartsRendered,
      error: document.documentElement.dataset.chartsError ?? null,
    }));
    expect(state.error).toBeNull();
    expect(problems).toEqual([]);
    // Two groups × (loss, loss scale, step time, memory, accuracy).
    expect(state.rendered).toBe('10');
    expect(requests.every((u) => u.startsWith('file://'))).toBe(true);
    expect(requests).toHaveLength(1);
  });

  it('draws one visible loss curve per configuration, through its finite points', async () => {
    const curves = await page.$$eval(
      'section[data-group="mlp|default"] figure[data-chart="loss"] path.series',
      (paths) =>
        paths.map((p) => {
          const box = (p as SVGPathElement).getBBox();
          return {
            id: p.getAttribute('data-series'),
            points: Number(p.getAttribute('data-points')),
            segments: (p.getAttribute('d') ?? '').split(/[ML]/).filter((s) => s.trim() !== '')
              .length,
            width: box.width,
            height: box.height,
            stroke: getComputedStyle(p).stroke,
          };
        }),
    );
    expect(curves.map((c) => c.id)).toEqual([
      'float32',
      'mixed_float16',
      'mixed_bfloat16',
      'float16',
    ]);
    // 40 steps each; the diverged float16 run has NaN losses from step 20 on.
    expect(curves.map((c) => c.points)).toEqual([40, 40, 40, 20]);
    for (const c of curves) {
      expect(c.segments).toBe(c.points);
      expect(c.width).toBeGreaterThan(100);
      expect(c.height).toBeGreaterThan(20);
      expect(c.stroke).not.toBe('none');
    }
  });

  it('draws the loss scale of loss-scaled configurations with a dot per skipped step', async () => {
    const chart = 'section[data-group="mlp|default"] figure[data-chart="loss-scale"]';
    expect(
      await page.$$eval(`${chart} path.series`, (ps) =>
        ps.map((p) => p.getAttribute('data-series')),
      ),
    ).toEqual(['mixed_float16']);
    expect(await page.$$eval(`${chart} circle.dot`, (cs) => cs.length)).toBe(3);
    // Axis labels in powers of two: the scale went from 2^15 down to 2^12.
    const labels = await page.$$eval(`${chart} .axes text`, (ts) => ts.map((t) => t.textContent));
    expect(labels).toEqual(expect.arrayContaining(['2^12', '2^15']));
  });

  it('draws step-time bars in proportion to the medians, and stacked memory bars', async () => {
    const bars = await page.$$eval(
      'section[data-group="mlp|default"] figure[data-chart="step-time"] rect.bar',
      (rs) =>
        rs.map((r) => ({id: r.getAttribute('data-bar'), height: Number(r.getAttribute('height'))})),
    );
    expect(bars.map((b) => b.id)).toEqual([
      'float32',
      'mixed_float16',
      'mixed_bfloat16',
      'float16',
    ]);
    const unit = bars[0]!.height / 10;
    expect(unit).toBeGreaterThan(1);
    expect(bars[1]!.height / unit).toBeCloseTo(15, 6);
    expect(bars[2]!.height / unit).toBeCloseTo(12.5, 6);
    const memory = await page.$$eval(
      'section[data-group="mlp|default"] figure[data-chart="memory"] rect.bar',
      (rs) => rs.length,
    );
    expect(memory).toBe(8);
  });

  it('renders the ablation group with its own charts', async () => {
    const ids = await page.$$eval(
      'section[data-group="mlp|small-gradients"] figure[data-chart="accuracy"] rect.bar',
      (rs) =>
        rs.map((r) => [
          r.getAttribute('data-bar'),
          Number(r.getAttribute('data-value')).toFixed(1),
        ]),
    );
    expect(ids).toEqual([
      ['float32', '95.0'],
      ['mixed_float16', '95.0'],
      ['mixed_float16:no-loss-scaling', '10.0'],
    ]);
  });

  it('paints the charts (non-blank pixels inside the loss chart)', async () => {
    const figure = page.locator('section[data-group="mlp|default"] figure[data-chart="loss"] svg');
    const png = await figure.screenshot();
    // Count pixels that are clearly coloured (curves), by drawing the PNG onto a canvas.
    const coloured = await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const data = ctx.getImageData(0, 0, img.width, img.height).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        const r = data[i]!;
        const g = data[i + 1]!;
        const b = data[i + 2]!;
        if (Math.max(r, g, b) - Math.min(r, g, b) > 80) n++;
      }
      return n;
    }, png.toString('base64'));
    expect(coloured).toBeGreaterThan(300);
  });
});
