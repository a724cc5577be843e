// Every ```ts block of the README runs as written (fragments are marked
// `<!-- readme-sample: skip -->` on the line before their fence). Samples that import
// tfjs-backend-webgpu run on Dawn + lavapipe (test/webgpu/support.ts), skipped with a notice where
// there is no adapter with shader-f16, unless TFJS_AMP_REQUIRE_WEBGPU=1.
import {describeReadmeSamples, readmeSamples, runQuietly} from '@tfjs-amp/test-utils';
import {it} from 'vitest';
import {describeWithWebGPU} from './webgpu/support.js';

const packageDir = new URL('..', import.meta.url);
const needsWebGPU = (code: string) => code.includes("'@tensorflow/tfjs-backend-webgpu'");

describeReadmeSamples(packageDir, {only: (s) => !needsWebGPU(s.code)});

const webgpuSamples = readmeSamples(new URL('README.md', packageDir)).filter((s) =>
  needsWebGPU(s.code),
);
if (webgpuSamples.length > 0) {
  // Dawn must be loaded before the sample imports tfjs-backend-webgpu; the sample itself asks for
  // shader-f16, so the harness does not.
  await describeWithWebGPU(
    'README samples on webgpu',
    () => {
      for (const sample of webgpuSamples) {
        it(`${sample.heading} (README.md:${sample.line}) runs`, async () => {
          await runQuietly(sample, packageDir);
        });
      }
    },
    false,
  );
}
