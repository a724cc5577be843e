// The README's quick start is test/readme-quick-start.ts verbatim, and it runs on tfjs-node.
import {readFileSync} from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import {describeBackends} from '@tfjs-amp/test-utils';
import {describe, expect, it, vi} from 'vitest';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const example = readFileSync(new URL('./readme-quick-start.ts', import.meta.url), 'utf8');

describe('README quick start', () => {
  it('is test/readme-quick-start.ts, at most 15 lines', () => {
    const block = /## Quick start[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(example);
    expect(example.trimEnd().split('\n').length).toBeLessThanOrEqual(15);
  });

  describeBackends(['tensorflow'], () => {
    it('runs as written, fused, leaving no tensor behind', async () => {
      const log = vi.spyOn(console, 'log').mockImplementation(() => {});
      const before = tf.memory().numTensors;
      await import('./readme-quick-start.js');
      expect(tf.memory().numTensors).toBe(before);
      expect(String(log.mock.calls.at(-1)?.[0])).toBe('fused');
      log.mockRestore();
    });
  });
});
