// Every ```ts block of the README runs as written (the runner is @tfjs-amp/test-utils'
// readmeSamples/runReadmeSample); a fragment that cannot run alone is marked
// `<!-- readme-sample: skip -->` on the line before its fence. Samples that import
// tfjs-backend-webgpu run on Dawn + lavapipe (test/webgpu/support.ts), skipped with a notice where
// there is no adapter with shader-f16, unless TFJS_AMP_REQUIRE_WEBGPU=1.
import {readmeSamples, runReadmeSample, useBackend} from '@tfjs-amp/test-utils';
import {describe, expect, it, vi} from 'vitest';
import {describeWithWebGPU} from './webgpu/support.js';

const readme = new URL('../README.md', import.meta.url);
const samples = readmeSamples(readme);
const needsWebGPU = (code: string) => code.includes("'@tensorflow/tfjs-backend-webgpu'");

async function runQuietly(sample: (typeof samples)[number]): Promise<void> {
  const quiet = (['log', 'info', 'table', 'warn'] as const).map((m) =>
    vi.spyOn(console, m).mockImplementation(() => {}),
  );
  try {
    await runReadmeSample(sample, new URL('..', import.meta.url));
  } finally {
    for (const spy of quiet) spy.mockRestore();
  }
}

describe('README samples', () => {
  it('has at least one that runs', () => {
    expect(samples.filter((s) => !s.skip).length).toBeGreaterThan(0);
  });

  for (const sample of samples.filter((s) => !needsWebGPU(s.code))) {
    (sample.skip ? it.skip : it)(`${sample.heading} (README.md:${sample.line}) runs`, async () => {
      await useBackend('cpu');
      await runQuietly(sample);
    });
  }
});

const webgpuSamples = samples.filter((s) => needsWebGPU(s.code));
if (webgpuSamples.length > 0) {
  // Dawn must be loaded before the sample imports tfjs-backend-webgpu; the sample itself asks for
  // shader-f16, so the harness does not.
  await describeWithWebGPU(
    'README samples on webgpu',
    () => {
      for (const sample of webgpuSamples) {
        it(`${sample.heading} (README.md:${sample.line}) runs`, async () => {
          await runQuietly(sample);
        });
      }
    },
    false,
  );
}
