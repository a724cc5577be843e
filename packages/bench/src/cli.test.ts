import {existsSync, mkdtempSync, readFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, expect, it} from 'vitest';
import {fakeReport, fakeRun} from '../test/support.js';
import {CLI_FLAGS, UsageError, helpText, main, parseCli, reproduceCommand} from './cli.js';
import {resolveSuiteOptions} from './options.js';
import {writeJsonReport} from './report/json.js';

function capture() {
  let out = '';
  let err = '';
  return {
    io: {stdout: {write: (t: string) => (out += t)}, stderr: {write: (t: string) => (err += t)}},
    out: () => out,
    err: () => err,
  };
}

describe('parseCli', () => {
  it('maps every flag to a suite option', () => {
    const c = parseCli([
      '--backend',
      'cpu',
      '--workload',
      'mlp,cnn',
      '--policy',
      'mixed_bfloat16',
      '--suite',
      'full',
      '--epochs',
      '2',
      '--steps',
      '10',
      '--batch',
      '32',
      '--seed',
      '7',
      '--train',
      '1000',
      '--test',
      '500',
      '--warmup',
      '3',
      '--chunk',
      '5',
      '--small-gradient-scale',
      '2^-18',
      '--no-ablation',
      '--out',
      'here',
      '--quiet',
    ]);
    expect(c.options).toEqual({
      backend: 'cpu',
      workloads: ['mlp', 'cnn'],
      policies: ['mixed_bfloat16'],
      suite: 'full',
      epochs: 2,
      stepsPerEpoch: 10,
      batchSize: 32,
      seed: 7,
      trainSize: 1000,
      testSize: 500,
      warmupSteps: 3,
      chunkSteps: 5,
      smallGradientScale: 2 ** -18,
      ablation: false,
    });
    expect(c.outDir).toBe('here');
    expect(c.quiet).toBe(true);
  });

  it('accepts repeated list flags and sets nothing that was not given', () => {
    const c = parseCli(['--workload', 'mlp', '--workload', 'sequence']);
    expect(c.options).toEqual({workloads: ['mlp', 'sequence']});
    expect(parseCli([]).options).toEqual({});
  });

  it('names an unknown flag and lists the allowed ones', () => {
    expect(() => parseCli(['--epoch', '3'])).toThrow(UsageError);
    expect(() => parseCli(['--epoch', '3'])).toThrow(
      /Unknown option '--epoch'.*Allowed flags: --backend, --workload/,
    );
  });

  it('names a bad value and what is allowed', () => {
    expect(() => parseCli(['--backend', 'tpu'])).toThrow(
      "tfjs-amp-bench: unknown --backend value 'tpu'. Allowed: cpu, tensorflow, wasm, webgl, webgpu.",
    );
    expect(() => parseCli(['--policy', 'float32,mixed_float61'])).toThrow(
      /unknown --policy value 'mixed_float61'\. Allowed: bfloat16, float16, float32, mixed_bfloat16/,
    );
    expect(() => parseCli(['--epochs', 'three'])).toThrow(
      "tfjs-amp-bench: --epochs must be an integer ≥ 1; got 'three'.",
    );
    expect(() => parseCli(['--batch', '0'])).toThrow("--batch must be an integer ≥ 1; got '0'.");
    expect(() => parseCli(['--small-gradient-scale', '4'])).toThrow(
      /must be a number in \[2\^-40, 1\]/,
    );
    expect(() => parseCli(['--suite', 'tiny'])).toThrow(
      "unknown --suite value 'tiny'. Allowed: full, quick.",
    );
    expect(() => parseCli(['--workload', ','])).toThrow(/--workload is empty/);
    expect(() => parseCli(['extra'])).toThrow(UsageError);
  });
});

describe('reproduceCommand', () => {
  it('names the preset and only the flags that differ from it', () => {
    expect(reproduceCommand(resolveSuiteOptions())).toBe('tfjs-amp-bench --suite quick');
    expect(
      reproduceCommand(
        resolveSuiteOptions({
          suite: 'full',
          seed: 3,
          workloads: ['cnn'],
          policies: ['mixed_bfloat16'],
          ablation: false,
          smallGradientScale: 2 ** -18,
        }),
      ),
    ).toBe(
      'tfjs-amp-bench --suite full --workload cnn --policy float32,mixed_bfloat16 --seed 3 ' +
        '--small-gradient-scale 2^-18 --no-ablation',
    );
  });
});

describe('helpText', () => {
  it('documents every flag', () => {
    const text = helpText();
    for (const flag of Object.keys(CLI_FLAGS)) expect(text).toContain(`--${flag}`);
  });
});

describe('main', () => {
  it('prints help and exits 0', async () => {
    const c = capture();
    expect(await main(['--help'], c.io)).toBe(0);
    expect(c.out()).toContain('Usage: tfjs-amp-bench');
  });

  it('exits 2 with one clear line for a bad flag, before running anything', async () => {
    const c = capture();
    expect(await main(['--workload', 'resnet50'], c.io)).toBe(2);
    expect(c.err()).toMatch(
      /^tfjs-amp-bench: unknown workload 'resnet50'\. Allowed: cnn, cnn-wide, mlp, resnet, sequence, transformer, w1, w4/,
    );
    expect(c.out()).toBe('');
  });

  it('renders an earlier report.json again with --from, diverged runs included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-from-'));
    const earlier = fakeReport([
      fakeRun({policy: 'float32'}),
      fakeRun({policy: 'float16', lossScaling: 'none', diverged: true, testAccuracy: 0.1}),
    ]);
    const path = writeJsonReport(earlier, dir);
    const out = join(dir, 'again');
    const c = capture();
    expect(await main(['--from', path, '--out', out], c.io)).toBe(0);
    expect(c.out()).toMatch(/float16 +none .* NaN /);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toContain('Reproduce: `tfjs-amp-bench --suite quick --workload mlp`.');
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    const again = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(again.runs[1].curves.loss.slice(18, 22)).toEqual([
      expect.any(Number),
      expect.any(Number),
      null,
      null,
    ]);
    expect(again.command).toBe('tfjs-amp-bench --suite quick --workload mlp');
  });

  it('refuses --from together with run flags', () => {
    expect(() => parseCli(['--from', 'r.json', '--epochs', '2'])).toThrow(
      '--from renders an earlier report and runs nothing; drop epochs.',
    );
  });

  it('exits 2 for an unavailable backend and lists the available ones', async () => {
    const c = capture();
    expect(await main(['--backend', 'webgl', '--quiet'], c.io)).toBe(2);
    expect(c.err()).toMatch(
      /backend 'webgl' is not available here: WebGL needs a browser .*\. Available: cpu, .*wasm/,
    );
  });
});
