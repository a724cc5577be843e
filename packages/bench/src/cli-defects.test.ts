// Regression tests for issue #13 defect 2: a bad --out, --from, --epochs or
// --small-gradient-scale must stop the CLI at once with one clear line (exit 2), before any
// training, and reports must be written atomically.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, expect, it} from 'vitest';
import {fakeReport, fakeRun} from '../test/support.js';
import {main, parseCli} from './cli.js';
import {resolveSuiteOptions} from './options.js';
import {readJsonReport, toJson, writeJsonReport} from './report/json.js';
import {ReportFileError, prepareOutputDir, writeFileAtomic} from './report/output-files.js';

function capture() {
  let out = '';
  let err = '';
  return {
    io: {stdout: {write: (t: string) => (out += t)}, stderr: {write: (t: string) => (err += t)}},
    out: () => out,
    err: () => err,
  };
}

/** A training command that would take a while if it ever started. */
const TRAIN = ['--workload', 'mlp', '--epochs', '1', '--steps', '2', '--no-ablation', '--quiet'];

describe('--out is checked before training', () => {
  it.skipIf(!existsSync('/proc/self'))(
    'refuses --out /proc/x at once instead of training and then spinning in mkdir',
    async () => {
      const c = capture();
      const started = performance.now();
      expect(await main([...TRAIN, '--out', '/proc/tfjs-amp-x'], c.io)).toBe(2);
      expect(performance.now() - started).toBeLessThan(5000);
      expect(c.err()).toMatch(
        /^--out '\/proc\/tfjs-amp-x': cannot create the folder '\/proc\/tfjs-amp-x' \(ENOENT\)\. Choose a folder you can write to\.\n$/,
      );
      expect(c.out()).toBe(''); // no table: nothing trained
    },
  );

  it('refuses --out <file>/sub, naming the file, before training', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-out-'));
    const file = join(dir, 'report.json');
    writeFileSync(file, '{}');
    const c = capture();
    expect(await main([...TRAIN, '--out', join(file, 'sub')], c.io)).toBe(2);
    expect(c.err()).toContain(`'${file}' is a file, not a folder`);
    expect(c.err()).not.toMatch(/\n\s+at /); // no stack trace
    expect(c.out()).toBe('');
    expect(readFileSync(file, 'utf8')).toBe('{}');
  });

  it('creates missing folders level by level and proves the folder writable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-out-'));
    const target = join(dir, 'a', 'b', 'c');
    expect(prepareOutputDir(target)).toBe(target);
    expect(readdirSync(target)).toEqual([]); // the probe file is gone
    expect(() => prepareOutputDir(join(dir, 'a', 'b', 'c'))).not.toThrow();
  });
});

describe('reports are written atomically', () => {
  it('leaves no temporary file behind and replaces the old report whole', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-atomic-'));
    const first = fakeReport([fakeRun({policy: 'float32'})]);
    writeJsonReport(first, dir);
    const second = fakeReport([fakeRun({policy: 'float32'}), fakeRun({policy: 'mixed_float16'})]);
    const path = writeJsonReport(second, dir);
    expect(readdirSync(dir)).toEqual(['report.json']);
    expect(readFileSync(path, 'utf8')).toBe(toJson(second));
  });

  it('keeps the old file and removes its temporary file when the write fails', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-atomic-'));
    const target = join(dir, 'report.md');
    writeFileSync(target, 'old');
    // A non-empty folder where the rename must put a file: it fails after the data was written.
    const blocked = join(dir, 'blocked');
    mkdirSync(blocked);
    writeFileSync(join(blocked, 'inside'), 'x');
    expect(() => writeFileAtomic(blocked, 'new')).toThrow();
    expect(readdirSync(dir).sort()).toEqual(['blocked', 'report.md']);
    expect(readFileSync(target, 'utf8')).toBe('old');
  });
});

describe('--from with a bad file', () => {
  it('names a missing file without a stack trace (exit 2)', async () => {
    const c = capture();
    expect(await main(['--from', '/nonexistent/report.json'], c.io)).toBe(2);
    expect(c.err()).toBe(
      "--from: cannot read '/nonexistent/report.json': no such file. Pass the report.json an " +
        'earlier tfjs-amp-bench run wrote into its --out folder.\n',
    );
  });

  it('says a truncated file is not valid JSON, without a stack trace (exit 2)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-from-'));
    const path = writeJsonReport(fakeReport([fakeRun({policy: 'float32'})]), dir);
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.slice(0, Math.floor(text.length / 2)));
    const c = capture();
    expect(await main(['--from', path, '--out', join(dir, 'again')], c.io)).toBe(2);
    expect(c.err()).toMatch(
      new RegExp(
        `^--from: '${path}' is not valid JSON \\(\\d+ characters; truncated or edited\\?\\)`,
      ),
    );
    expect(c.err()).not.toMatch(/\n\s+at /);
    expect(c.out()).toBe('');
  });

  it('refuses a JSON file that lacks the report fields', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-from-'));
    const path = join(dir, 'r.json');
    writeFileSync(path, JSON.stringify({tool: '@tfjs-amp/bench', schemaVersion: 1, runs: [{}]}));
    expect(() => readJsonReport(path)).toThrow(ReportFileError);
    expect(() => readJsonReport(path)).toThrow(/is an incomplete report: missing workloads/);
  });
});

describe('numbers out of range', () => {
  it('names --epochs -1 and the allowed range instead of a parser hint', async () => {
    expect(() => parseCli(['--epochs', '-1'])).toThrow(
      "tfjs-amp-bench: --epochs must be an integer ≥ 1; got '-1'.",
    );
    const c = capture();
    expect(await main(['--epochs', '-1'], c.io)).toBe(2);
    expect(c.err()).not.toContain('XYZ');
  });

  it('refuses --small-gradient-scale 2^-200, which would stop float32 itself from training', () => {
    expect(() => parseCli(['--small-gradient-scale', '2^-200'])).toThrow(
      /--small-gradient-scale must be a number in \[2\^-40, 1\].*got '2\^-200'\. Below 2\^-40 float32 itself stops training/,
    );
    expect(parseCli(['--small-gradient-scale', '2^-40']).options.smallGradientScale).toBe(2 ** -40);
    expect(() => resolveSuiteOptions({smallGradientScale: 2 ** -200})).toThrow(RangeError);
    expect(() => resolveSuiteOptions({smallGradientScale: 2 ** -41})).toThrow(
      /smallGradientScale \(--small-gradient-scale\) must be in \[2\^-40, 1\]; got 4\.547/,
    );
  });
});
