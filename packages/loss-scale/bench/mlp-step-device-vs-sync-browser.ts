// Step time of an MLP in headless Chromium with LossScaleOptimizer in 'device' mode against
// 'sync' mode, on webgl (SwiftShader's GL: a CPU stand-in for a GPU, so it shows the cost of the
// extra ops, not the stall a real GPU's read back adds) and webgpu (SwiftShader's Vulkan; 'device'
// only: 'sync' mode's per-step read loses the WebGPU device). Blocks of 10 steps per variant
// ended by one read, rotating; the page is test/browser/device-mode-page.ts.
import {chromium} from 'playwright-core';
import {CHROMIUM, openPage} from '../test/browser/open-page.js';
import {compareRuns} from './internal/compare-runs.js';

/** Runs the benchmark; `quick` shortens it for smoke runs. */
export async function run(quick = false): Promise<string> {
  const rounds = quick ? 2 : Number(process.env.BENCH_ROUNDS ?? 30);
  const browser = await chromium.launch({executablePath: CHROMIUM, args: ['--headless']});
  const version = browser.version();
  await browser.close();
  const where = `headless Chromium ${version}`;
  const webgl = await openPage('webgl', rounds, 600_000);
  const named = (result: typeof webgl, prefix: string) =>
    result.series.find((x) => x.name.startsWith(prefix))!;
  const sync = named(webgl, "LossScaleOptimizer(adam) 'sync'");
  const device = named(webgl, "LossScaleOptimizer(adam) 'device'");
  const plain = named(webgl, 'adam');
  const table = compareRuns({
    subject: 'mlp-step-device-vs-sync-webgl',
    title:
      `MLP 128-256-256-10, batch 64, optimizer.minimize, webgl in ${where} (SwiftShader GL): ` +
      `ms per step over blocks of 10 steps ended by one read, ${rounds} rotating rounds`,
    baseline: sync,
    candidates: [{series: device, target: 1.05}, {series: plain}],
    notes: [
      "The machine line's backend is the Node process's; the steps ran on the page's webgl.",
      'SwiftShader runs the shaders on the CPU: there is no GPU queue for a read to drain, so',
      "this measures the extra ops of 'device' mode, not the stall 'sync' mode causes on a GPU.",
    ],
  });
  const webgpu = await openPage('webgpu', rounds, 600_000);
  const median = (prefix: string) => {
    const ms = [...named(webgpu, prefix).stepMs].sort((a, b) => a - b);
    return ms[Math.floor(ms.length / 2)]!;
  };
  const deviceMs = median("LossScaleOptimizer(adam) 'device'");
  const plainMs = median('adam');
  const line =
    `webgpu in ${where} (SwiftShader Vulkan), ${rounds} rotating rounds: 'device' mode median ` +
    `${deviceMs.toFixed(2)} ms/step, adam without loss scaling ${plainMs.toFixed(2)} ms/step ` +
    `(${(deviceMs / plainMs).toFixed(3)}×); device lost: ${webgpu.deviceLost}. 'sync' mode ` +
    'cannot run there: its per-step dataSync loses the device.';
  console.log(line);
  return `${table}\n${line}`;
}
