import * as tf from '@tensorflow/tfjs';
import {nativeMemory, resetNativeMemoryPeak, trackTensorBytes} from '@tfjs-amp/kernels';

/** Memory of one training configuration. */
export interface MemoryStats {
  /**
   * Bytes of tensors the configuration keeps between steps: model weights, optimizer slots and
   * loss-scale state (tfjs's `numBytes` before the model was built vs. after its first steps).
   */
  readonly stateBytes: number;
  /** Extra tensor bytes at the busiest moment of one training step (activations, gradients). */
  readonly stepPeakBytes: number;
  /** `stateBytes + stepPeakBytes`: what the configuration needs at its peak. */
  readonly peakBytes: number;
  /**
   * Peak resident set size of the whole process while this configuration trained. Every
   * configuration of a workload lives in the same process (and wasm memory never shrinks), so
   * this is a process-wide figure, not this configuration's share.
   */
  readonly rssPeakBytes: number;
  /**
   * Bytes of native 16-bit tensors this configuration keeps between steps on the `tensorflow`
   * backend, which `tf.memory()` does not see (`nativeMemory` of `@tfjs-amp/kernels`: its cast
   * cache); null where not reported (other backends, older kernels, older reports).
   */
  readonly nativeBytes?: number | null;
  /**
   * The most bytes of those native 16-bit tensors held at once during a step (the cache frees
   * them with the step's tensors, so between steps it holds none); null where not reported.
   * A step's true tensor peak is about `stepPeakBytes + nativeStepPeakBytes`.
   */
  readonly nativeStepPeakBytes?: number | null;
  /**
   * On the `tensorflow` backend, the most bytes of TensorFlow tensors one step added at once,
   * float32 and 16-bit alike, kernel temporaries included (`trackTensorBytes` of
   * `@tfjs-amp/kernels`, counted at tfjs-node's binding): what a step holds at its busiest,
   * independent of the allocator. Null elsewhere and in older reports.
   */
  readonly tensorStepPeakBytes?: number | null;
  /** Low-precision rounding kernels (`AmpQuantize`) run in one training step. */
  readonly castKernelsPerStep: number;
  /** Kernels run in one training step, all kinds. */
  readonly kernelsPerStep: number;
}

/** What {@link profileStep} saw in one step. */
export interface StepProfile {
  /** Peak tensor bytes during the step above the bytes live before it. */
  readonly stepPeakBytes: number;
  /**
   * The most bytes of native 16-bit copies (`@tfjs-amp/kernels`' cast cache) held at once during
   * the step above those held before it, on the `tensorflow` backend; null elsewhere.
   * `tf.memory()` does not count them.
   */
  readonly nativePeakBytes: number | null;
  /**
   * On the `tensorflow` backend, the most bytes of TensorFlow tensors made during the step alive
   * at once (`trackTensorBytes`); null elsewhere.
   */
  readonly tensorPeakBytes: number | null;
  /** Kernels run, by name. */
  readonly kernelCounts: Readonly<Record<string, number>>;
  /** Total kernels run. */
  readonly kernels: number;
}

/**
 * Runs `step` under `tf.profile` and reports its transient peak bytes and kernel counts.
 * Profiling times every kernel, so the step itself is slower: never time a profiled step.
 */
export async function profileStep(step: () => Promise<unknown>): Promise<StepProfile> {
  const before = tf.memory().numBytes;
  const native = tf.getBackend() === 'tensorflow';
  if (native) resetNativeMemoryPeak();
  // Copies alive before the step (of long-lived tensors: another variant's initial weights, a
  // dataset) are not this step's.
  const nativeBefore = native ? nativeMemory().bytes : 0;
  const tracker = native ? trackTensorBytes() : null;
  let info: Awaited<ReturnType<typeof tf.profile>>;
  let tensorPeakBytes: number | null;
  try {
    info = await tf.profile(async () => {
      await step();
      return [];
    });
  } finally {
    tensorPeakBytes = tracker?.stop().peakBytes ?? null;
  }
  const nativePeakBytes = native ? Math.max(0, nativeMemory().peakBytes - nativeBefore) : null;
  const kernelCounts: Record<string, number> = {};
  for (const k of info.kernels) kernelCounts[k.name] = (kernelCounts[k.name] ?? 0) + 1;
  return {
    stepPeakBytes: Math.max(0, info.peakBytes - before),
    nativePeakBytes,
    tensorPeakBytes,
    kernelCounts,
    kernels: info.kernels.length,
  };
}

/** Tracks the peak resident set size of the process between {@link RssSampler.sample} calls. */
export class RssSampler {
  /** Highest RSS seen, in bytes. */
  peakBytes = 0;

  /** Reads the current RSS (cheap: no heap walk) and keeps the peak. */
  sample(): number {
    const rss = process.memoryUsage.rss();
    if (rss > this.peakBytes) this.peakBytes = rss;
    return rss;
  }
}
