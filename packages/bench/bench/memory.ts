// Peak memory of a training step per policy on tfjs-node, counted per process: each policy trains
// in a child process of its own (process peak RSS is shared by everything a process ever ran, so
// one process cannot compare policies), and reports its VmHWM after building the model and after
// N steps, with tfjs-amp's native 16-bit bytes that tf.memory() cannot see.
//   npm run bench:memory -w @tfjs-amp/bench -- w1 cnn-wide
// Two measures of a step's memory:
// - step tensors: the most bytes of TF tensors (every dtype, kernel temporaries included) the
//   last step held at once, counted at tfjs-node's binding (trackTensorBytes). Deterministic and
//   independent of the allocator: this is what "a step holds" means.
// - step growth: the growth of the peak RSS over the peak after building the model (the ~480 MiB
//   TensorFlow runtime and its ±10 MiB process-to-process spread cancel out). It also holds the
//   first step's one-time costs (optimizer slots, kernel and oneDNN setup, probes) and whatever
//   the allocator keeps, so it can differ from step tensors by several MiB either way.
// Each policy runs REPEATS processes (default 3) and the medians are compared.
// Any built-in workload can be named (default: w1 cnn-wide).
// Env: BATCH (default 1024 for w1, 256 for cnn-wide, else the workload's own), STEPS (default 6), REPEATS, and
// TFJS_AMP_NATIVE (the dispatch mode, recorded). Writes bench/results/memory.json. Linux only
// (reads /proc/self/status).
import type {PolicyName} from '@tfjs-amp/policy';
import {execFileSync} from 'node:child_process';
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const POLICIES = ['float32', 'mixed_bfloat16', 'mixed_float16'] as const;
/** Measured when no workload is named; any built-in workload can be named. */
const DEFAULT_WORKLOADS = ['w1', 'cnn-wide'] as const;

const peakMiB = () =>
  Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;

async function child(workload: string, policy: string): Promise<void> {
  const tf = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-node' as string);
  await tf.setBackend('tensorflow');
  const {nativeMemory, resetNativeMemoryPeak, trackTensorBytes} = await import('@tfjs-amp/kernels');
  const {BUILT_IN_WORKLOADS} = await import('../src/workloads/index.js');
  const ownBatch = BUILT_IN_WORKLOADS[workload]?.batchSize ?? 64;
  const defaultBatch = workload === 'w1' ? 1024 : workload === 'cnn-wide' ? 256 : ownBatch;
  const batch = Number(process.env.BATCH ?? defaultBatch);
  const steps = Number(process.env.STEPS ?? 6);
  const {memoryWorkload} = await import('../src/measure/memory-workload.js');
  const {model, x, y} = await memoryWorkload(workload, policy as PolicyName, batch);
  const built = peakMiB();
  resetNativeMemoryPeak();
  await model.trainOnBatch(x, y);
  // The first step also pays one-time costs (optimizer slots, kernel setup, probes).
  const afterFirstStep = peakMiB();
  for (let i = 1; i < steps - 1; i++) await model.trainOnBatch(x, y);
  // The last step's TF tensors, counted at the binding: what a step holds at its busiest,
  // independent of the allocator (the same in every process).
  const tracker = trackTensorBytes()!;
  await model.trainOnBatch(x, y);
  const stepTensorPeakMiB = tracker.stop().peakBytes / 2 ** 20;
  const result = {
    workload,
    policy,
    batch,
    steps,
    peakRssMiBAfterBuild: built,
    peakRssMiBAfterFirstStep: afterFirstStep,
    peakRssMiB: peakMiB(),
    native16BitPeakMiB: nativeMemory().peakBytes / 2 ** 20,
    stepTensorPeakMiB,
  };
  console.log(JSON.stringify(result));
}

async function main(): Promise<void> {
  const named = process.argv.slice(2);
  const workloads = named.length > 0 ? named : [...DEFAULT_WORKLOADS];
  const {WORKLOAD_NAMES} = await import('../src/workloads/index.js');
  for (const w of workloads) {
    if (!WORKLOAD_NAMES.includes(w)) {
      throw new Error(`memory: workload must be one of ${WORKLOAD_NAMES.join(', ')}; got ${w}`);
    }
  }
  const {cpuFeatures} = await import('@tfjs-amp/kernels');
  const cpu = cpuFeatures();
  const rows: Record<string, unknown>[] = [];
  const repeats = Number(process.env.REPEATS ?? 3);
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  for (const workload of workloads) {
    const base: Record<string, {peak: number; step: number; tensors: number}> = {};
    for (const policy of POLICIES) {
      const runs: Record<string, number>[] = [];
      for (let i = 0; i < repeats; i++) {
        const out = execFileSync(
          process.execPath,
          [...process.execArgv, fileURLToPath(import.meta.url)],
          {
            encoding: 'utf8',
            env: {
              ...process.env,
              TFJS_AMP_MEMORY_CHILD: `${workload}:${policy}`,
              TF_CPP_MIN_LOG_LEVEL: '3',
            },
            stdio: ['ignore', 'pipe', 'ignore'],
          },
        );
        runs.push(JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, number>);
      }
      const peak = median(runs.map((r) => r.peakRssMiB!));
      const step = median(runs.map((r) => r.peakRssMiB! - r.peakRssMiBAfterBuild!));
      const native = median(runs.map((r) => r.native16BitPeakMiB!));
      const tensors = median(runs.map((r) => r.stepTensorPeakMiB!));
      const first = median(runs.map((r) => r.peakRssMiBAfterFirstStep! - r.peakRssMiBAfterBuild!));
      const later = median(runs.map((r) => r.peakRssMiB! - r.peakRssMiBAfterFirstStep!));
      base[policy] ??= {peak, step, tensors};
      const row = {
        workload,
        policy,
        batch: runs[0]!.batch,
        steps: runs[0]!.steps,
        processes: repeats,
        peakRssMiB: peak,
        stepGrowthMiB: step,
        firstStepGrowthMiB: first,
        laterStepsGrowthMiB: later,
        native16BitPeakMiB: native,
        stepTensorPeakMiB: tensors,
        vsFloat32: peak / base.float32!.peak,
        stepGrowthVsFloat32: step / base.float32!.step,
        stepTensorsVsFloat32: tensors / base.float32!.tensors,
      };
      rows.push(row);
      console.log(
        `${workload} ${policy}: a step holds ${tensors.toFixed(1)} MiB of TF tensors at its ` +
          `busiest (${row.stepTensorsVsFloat32.toFixed(2)}× float32's); steps add ${step.toFixed(0)} MiB to the peak ` +
          `(${row.stepGrowthVsFloat32.toFixed(2)}× float32's; the first step ${first.toFixed(0)} ` +
          `MiB, the others ${later.toFixed(0)} MiB), peak RSS ${peak.toFixed(0)} MiB ` +
          `(${row.vsFloat32.toFixed(3)}× float32), native 16-bit peak ${native.toFixed(1)} MiB ` +
          `(medians of ${repeats} processes)`,
      );
    }
  }
  const report = {
    date: new Date().toISOString(),
    machine: `${cpu.model} [${cpu.flags.join(' ')}]`,
    dispatch: process.env.TFJS_AMP_NATIVE ?? 'auto',
    rows,
  };
  mkdirSync(join(here, 'results'), {recursive: true});
  writeFileSync(join(here, 'results', 'memory.json'), `${JSON.stringify(report, null, 2)}\n`);
}

const role = process.env.TFJS_AMP_MEMORY_CHILD;
if (role != null) {
  const [workload, policy] = role.split(':') as [string, string];
  await child(workload, policy);
} else {
  await main();
}
