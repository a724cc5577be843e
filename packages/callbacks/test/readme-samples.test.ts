// Every ```ts block of the README runs as written (the runner is @tfjs-amp/test-utils'
// readmeSamples/runReadmeSample); a fragment that cannot run alone is marked
// `<!-- readme-sample: skip -->` on the line before its fence.
import {readmeSamples, runReadmeSample, useBackend} from '@tfjs-amp/test-utils';
import {describe, expect, it, vi} from 'vitest';

const readme = new URL('../README.md', import.meta.url);
const samples = readmeSamples(readme);

describe('README samples', () => {
  it('has at least one that runs', () => {
    expect(samples.filter((s) => !s.skip).length).toBeGreaterThan(0);
  });

  for (const sample of samples) {
    (sample.skip ? it.skip : it)(`${sample.heading} (README.md:${sample.line}) runs`, async () => {
      await useBackend('cpu');
      const quiet = (['log', 'info', 'table', 'warn'] as const).map((m) =>
        vi.spyOn(console, m).mockImplementation(() => {}),
      );
      try {
        await runReadmeSample(sample, new URL('..', import.meta.url));
      } finally {
        for (const spy of quiet) spy.mockRestore();
      }
    });
  }
});
