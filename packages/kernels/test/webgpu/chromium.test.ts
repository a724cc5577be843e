import {existsSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {announceSkip} from '@tfjs-amp/test-utils';
import {build} from 'esbuild';
import {type Browser, chromium} from 'playwright-core';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {PageResult} from './browser/fallback-page.js';
import {webgpuRequired} from './support.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
const REQUIRED = webgpuRequired() || process.env.CI === 'true';
const SUITE = 'webgpu fallback in headless Chromium (SwiftShader, no shader-f16)';

/** The page, bundled from source (the `@tfjs-amp/source` condition) for the browser. */
async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./browser/fallback-page.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['@tfjs-amp/source'],
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

if (!HAS_CHROMIUM && !REQUIRED) {
  announceSkip(
    SUITE,
    `no Chromium at ${CHROMIUM}`,
    'install it (`sudo apt-get install chromium`) or set CHROMIUM_PATH to a Chromium binary',
  );
}
describe.skipIf(!HAS_CHROMIUM && !REQUIRED)(SUITE, () => {
  let browser: Browser;
  let result: PageResult;
  const errors: string[] = [];

  beforeAll(async () => {
    if (!HAS_CHROMIUM) throw new Error(`${CHROMIUM} is missing; .ci/run installs it.`);
    const script = await bundle();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--enable-unsafe-webgpu',
        '--use-webgpu-adapter=swiftshader',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
      ],
    });
    const page = await browser.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    // An https origin (WebGPU needs a secure context), answered from memory: no network.
    await page.route('https://amp.test/**', (route) =>
      route.request().url().endsWith('.js')
        ? route.fulfill({contentType: 'text/javascript', body: script})
        : route.fulfill({
            contentType: 'text/html',
            body: '<!doctype html><script type="module" src="/page.js"></script>',
          }),
    );
    await page.goto('https://amp.test/');
    await page.waitForFunction(() => 'ampResult' in globalThis, null, {timeout: 60_000});
    result = (await page.evaluate(
      () => (globalThis as unknown as {ampResult: Promise<unknown>}).ampResult,
    )) as PageResult;
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('runs on webgpu, on a device without shader-f16', () => {
    expect(errors).toEqual([]);
    expect(result.backend).toBe('webgpu');
    expect(result.requested).toBe('requested');
    expect(result.deviceHasF16).toBe(false);
  });

  it('float16 matmul falls back to the float32 kernel, with one notice', () => {
    expect(result.matMulEqualsFloat32).toBe(true);
    const notices = result.notices.filter((n) => n.includes("'shader-f16'"));
    expect(notices).toHaveLength(1);
  });

  it('AmpQuantize stays bit-exact with roundArray', () => {
    expect(result.quantizeBitExact).toBe(true);
  });

  it('model.fit trains in float16 emulation without losing the device', () => {
    expect(result.deviceLost).toBe(false);
    expect(result.losses.every(Number.isFinite)).toBe(true);
    expect(result.losses.at(-1)!).toBeLessThan(result.losses[0]!);
  });
});
