import {describe, expect, it} from 'vitest';
import {parseScheduleArgs, scheduleHelpText, scheduleMain} from './precision-schedule-cli.js';

describe('tfjs-amp-bench --precision-schedule flags', () => {
  it('parses the flags into options', () => {
    expect(
      parseScheduleArgs(['--epochs', '6', '--switch-epoch', '2', '--late', 'mixed_float16']),
    ).toEqual({
      help: false,
      options: {epochs: 6, switchEpoch: 2, late: 'mixed_float16'},
    });
  });

  it('refuses bad flags and values with exit status 2, naming them', async () => {
    const err: string[] = [];
    const io = {stdout: {write: () => true}, stderr: {write: (t: string) => err.push(t)}};
    expect(await scheduleMain(['--epochs', '-1'], io)).toBe(2);
    expect(await scheduleMain(['--epochs', '1'], io)).toBe(2);
    expect(await scheduleMain(['--swtich-epoch', '1'], io)).toBe(2);
    expect(err[0]).toContain('--epochs');
    expect(err[1]).toBe(
      'tfjs-amp-bench --precision-schedule: epochs must be an integer ≥ 2; got 1.\n',
    );
    expect(err[2]).toContain("Unknown option '--swtich-epoch'");
    expect(err[2]).toContain('Allowed flags: --backend, --epochs, --switch-epoch');
  });

  it('prints its help', async () => {
    const out: string[] = [];
    const io = {stdout: {write: (t: string) => out.push(t)}, stderr: {write: () => true}};
    expect(await scheduleMain(['--help'], io)).toBe(0);
    expect(out.join('')).toBe(scheduleHelpText());
    expect(scheduleHelpText()).toContain('--switch-epoch N');
  });
});
