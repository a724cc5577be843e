// The `tfjs-amp-bench` bin as a newcomer runs it: from a checkout, before any build.
import {spawnSync} from 'node:child_process';
import {tmpdir} from 'node:os';
import {fileURLToPath} from 'node:url';
import {describe, expect, it} from 'vitest';

const bin = fileURLToPath(new URL('../bin/tfjs-amp-bench.js', import.meta.url));

function run(args: string[]) {
  // From another directory: the launcher must find tsx and the sources from its own location.
  return spawnSync(process.execPath, [bin, ...args], {cwd: tmpdir(), encoding: 'utf8'});
}

describe('bin/tfjs-amp-bench.js', () => {
  it('runs the CLI from src/ without a build and passes its exit status on', () => {
    const help = run(['--help']);
    expect(help.stderr).toBe('');
    expect(help.stdout).toMatch(/^Usage: tfjs-amp-bench \[flags\]/);
    expect(help.status).toBe(0);
    const bad = run(['--epochs', '-1']);
    expect(bad.stderr).toContain("tfjs-amp-bench: --epochs must be an integer ≥ 1; got '-1'.");
    expect(bad.status).toBe(2);
  });
});
