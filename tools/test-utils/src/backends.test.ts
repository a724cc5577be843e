import {afterEach, describe, expect, it, vi} from 'vitest';
import {announceSkip, TFJS_NODE_HOW_TO_INCLUDE} from './backends.js';

describe('announceSkip', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('prints one line per skipped suite, once, with the reason and what to run', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    announceSkip('suite A', 'no binding', TFJS_NODE_HOW_TO_INCLUDE);
    announceSkip('suite A', 'no binding', TFJS_NODE_HOW_TO_INCLUDE);
    announceSkip('suite B', 'no browser', 'install one');
    expect(warn.mock.calls).toEqual([
      [
        "[tfjs-amp] SKIPPED 'suite A': no binding. To include it: run `npm run provision:tfjs-node` " +
          'once (builds the binding offline), then `TFJS_AMP_REQUIRE_NODE=1 npm test` (missing ' +
          'tfjs-node then fails instead of skipping).',
      ],
      ["[tfjs-amp] SKIPPED 'suite B': no browser. To include it: install one."],
    ]);
    for (const [line] of warn.mock.calls) expect(String(line)).not.toContain('\n');
  });
});
