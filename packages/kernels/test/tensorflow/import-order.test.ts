import {execFileSync} from 'node:child_process';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {describeWithTfjsNode} from '@tfjs-amp/test-utils';
import {expect, it} from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

/** Runs fixtures/import-order.ts in a fresh Node process (module registries are per process). */
function runChild(order: 'node-first' | 'kernels-first'): {
  backend: string;
  installedAtImport: number;
  installedAfterUse: number;
  total: number;
  float32: number;
  float16: number;
  warnings: string[];
} {
  const out = execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=@tfjs-amp/source',
      join(here, 'fixtures', 'import-order.ts'),
      order,
    ],
    {
      cwd: join(here, '..', '..'),
      // TFJS_AMP_NATIVE=all: the float16 MatMul runs natively even on CPUs where the `auto`
      // dispatch would emulate it (no float16 matrix units); it also checks the variable works.
      env: {...process.env, TF_CPP_MIN_LOG_LEVEL: '2', TFJS_AMP_NATIVE: 'all'},
      encoding: 'utf8',
    },
  );
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

describeWithTfjsNode('native kernel overrides, whichever package is imported first', () => {
  it('installs them on import when tfjs-node came first', () => {
    const r = runChild('node-first');
    expect(r.backend).toBe('tensorflow');
    expect(r.installedAtImport).toBe(r.total);
    expect(r.float32).toBe(1 + 2 ** -11);
    expect(r.float16).toBe(1);
    expect(r.warnings.filter((w) => /already registered|Overriding/.test(w))).toEqual([]);
  });

  it('installs them when the tensorflow backend starts when @tfjs-amp/kernels came first', () => {
    const r = runChild('kernels-first');
    expect(r.backend).toBe('tensorflow');
    // tfjs-node selects its backend on import; the setup hook registered by @tfjs-amp/kernels
    // installs the overrides then, before any op runs.
    expect(r.installedAtImport).toBe(r.total);
    expect(r.installedAfterUse).toBe(r.total);
    expect(r.float32).toBe(1 + 2 ** -11);
    expect(r.float16).toBe(1);
    expect(r.warnings.filter((w) => /already registered|Overriding/.test(w))).toEqual([]);
  });
});
