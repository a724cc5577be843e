import {execFileSync} from 'node:child_process';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {describeWithTfjsNode} from '@tfjs-amp/test-utils';
import {expect, it} from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

interface CopyRun {
  quantized: number;
  cast: number;
  int: number;
  float32: number;
  float16: number;
}

describeWithTfjsNode('two copies of @tfjs-amp/kernels in one process', () => {
  it("fall back to tfjs-node's kernels, not to each other's, and warn once each", () => {
    // A fresh process: the second copy gets module state of its own, as an installed one would.
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', '--conditions=@tfjs-amp/source', join(here, 'fixtures', 'two-copies.ts')],
      {
        cwd: join(here, '..', '..'),
        // All: the float16 MatMul runs natively on any CPU (the auto dispatch could emulate it).
        env: {...process.env, TF_CPP_MIN_LOG_LEVEL: '2', TFJS_AMP_NATIVE: 'all'},
        encoding: 'utf8',
      },
    );
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as {
      results: CopyRun[];
      leaked: number;
      warnings: string[];
      copy: string;
    };
    // Each copy in turn (first, second, first, second) replaces the other's overrides; a cast
    // to float32 of a float32 tensor used to recurse between the two until the stack ran out.
    expect(r.results).toHaveLength(4);
    for (const result of r.results) {
      expect(result).toEqual({
        quantized: 1,
        cast: 1 + 2 ** -11,
        int: 1,
        float32: 1 + 2 ** -11,
        float16: 1,
      });
    }
    expect(r.leaked).toBe(0);
    const notices = r.warnings.filter((w) => /two copies of @tfjs-amp\/kernels/.test(w));
    expect(notices).toHaveLength(2);
    for (const notice of notices) {
      expect(notice).toContain(r.copy);
      expect(notice).toContain('npm dedupe');
    }
  });
});
