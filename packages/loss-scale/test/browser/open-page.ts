// Opens test/browser/device-mode-page.ts in headless Chromium (from memory, on an https origin:
// WebGPU needs a secure context) and returns its result. Shared by the Chromium test and the
// browser benchmark.
import {fileURLToPath} from 'node:url';
import {build} from 'esbuild';
import {chromium} from 'playwright-core';
import type {PageResult} from './device-mode-page.js';

/** Chromium's binary: `CHROMIUM_PATH`, else Debian's. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./device-mode-page.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['@tfjs-amp/source'],
    write: false,
    logLevel: 'silent',
    // @tfjs-amp/optimizers reads `process.pid` at import (resource-variable.ts), which throws in a
    // browser; until it guards that, the page gets a stand-in.
    banner: {js: 'globalThis.process ??= {pid: 0, env: {}};'},
  });
  return result.outputFiles[0]!.text;
}

/**
 * Runs the page on `backend` (webgl on SwiftShader's GL, webgpu on SwiftShader's Vulkan) with
 * `rounds` timing rounds (0: checks only); page errors are returned with the result.
 */
export async function openPage(
  backend: 'webgl' | 'webgpu',
  rounds = 0,
  timeoutMs = 300_000,
): Promise<PageResult> {
  const script = await bundle();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--enable-unsafe-webgpu',
      '--use-webgpu-adapter=swiftshader',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
    ],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.route('https://amp.test/**', (route) =>
      route.request().url().endsWith('.js')
        ? route.fulfill({contentType: 'text/javascript', body: script})
        : route.fulfill({
            contentType: 'text/html',
            body: '<!doctype html><script type="module" src="/page.js"></script>',
          }),
    );
    await page.goto(`https://amp.test/?backend=${backend}&rounds=${rounds}`);
    await page
      .waitForFunction(() => 'ampResult' in globalThis, null, {timeout: 60_000})
      .catch((err: unknown) => {
        throw new Error(
          `the page did not start: ${String(err)}; page errors: ${errors.join(' | ')}`,
        );
      });
    page.setDefaultTimeout(timeoutMs);
    const result = (await page.evaluate(
      () => (globalThis as unknown as {ampResult: Promise<unknown>}).ampResult,
    )) as PageResult;
    return {...result, errors: [...result.errors, ...errors]};
  } finally {
    await browser.close();
  }
}
