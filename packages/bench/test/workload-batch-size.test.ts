// A workload's own batch size (w1: 256, w4: 512) applies unless --batch is given.
import {fileURLToPath} from 'node:url';
import {expectNoLeaks} from '@tfjs-amp/test-utils';
import {describe, expect, it} from 'vitest';
import {formatTable, runSuite, type Workload} from '../src/index.js';
import {resolveWorkload} from '../src/workloads/index.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/custom-workload.mjs', import.meta.url));

const SMALL = {
  epochs: 1,
  trainSize: 64,
  testSize: 16,
  warmupSteps: 0,
  ablation: false,
  policies: ['float32'],
} as const;

describe('batch size per workload', () => {
  it("trains with the workload's own batch size when none is given", async () => {
    const tiny = (await resolveWorkload(FIXTURE)) as Workload;
    const own: Workload = {...tiny, batchSize: 8};
    const report = await expectNoLeaks(() => runSuite({...SMALL, workloads: [own]}));
    expect(report.options.batchSize).toBeNull();
    expect(report.workloads[0]).toMatchObject({batchSize: 8, stepsPerEpoch: 8});
    expect(report.runs[0]!.steps).toBe(8);
    expect(formatTable(report)).toContain('1 epoch(s), batch 8, seed 0');
  });

  it('lets --batch override it, and uses 64 for workloads without one', async () => {
    const tiny = (await resolveWorkload(FIXTURE)) as Workload;
    const own: Workload = {...tiny, name: 'own', batchSize: 8};
    const forced = await runSuite({...SMALL, workloads: [own], batchSize: 16});
    expect(forced.workloads[0]).toMatchObject({batchSize: 16, stepsPerEpoch: 4});
    const plain = await runSuite({...SMALL, workloads: [tiny, own]});
    expect(plain.workloads.map((w) => [w.name, w.batchSize, w.stepsPerEpoch])).toEqual([
      ['tiny-random', 64, 1],
      ['own', 8, 8],
    ]);
    expect(formatTable(plain)).toContain('batch 64 (tiny-random), 8 (own)');
  });
});
