import {quantile} from '@tfjs-amp/kernels/shared';

/** Summary of step times after warm-up, in milliseconds. */
export interface StepTimeStats {
  /** Steps summarized (warm-up steps excluded). */
  readonly count: number;
  /** Median step time. */
  readonly medianMs: number;
  /** 10th percentile. */
  readonly p10Ms: number;
  /** 90th percentile. */
  readonly p90Ms: number;
  /** Interquartile range over the median: the spread, unitless (0.05 = ±2.5 %). */
  readonly relativeIqr: number;
  /** Mean step time. */
  readonly meanMs: number;
  /** Fastest step. */
  readonly minMs: number;
  /** Slowest step. */
  readonly maxMs: number;
}

/** The `q` quantile of sorted values, interpolated (the one shared definition). */
export {quantile};

/**
 * Median, percentiles and spread of step times, leaving out the first `warmupSteps` (graph
 * building, kernel first use, JIT). All fields are NaN when no step is left.
 * @example summarizeStepTimes([9, 5, 5, 6, 4], 1).medianMs // 5
 */
export function summarizeStepTimes(stepMs: readonly number[], warmupSteps: number): StepTimeStats {
  const kept = stepMs.slice(warmupSteps).sort((a, b) => a - b);
  const median = quantile(kept, 0.5);
  return Object.freeze({
    count: kept.length,
    medianMs: median,
    p10Ms: quantile(kept, 0.1),
    p90Ms: quantile(kept, 0.9),
    relativeIqr: (quantile(kept, 0.75) - quantile(kept, 0.25)) / median,
    meanMs: kept.length === 0 ? Number.NaN : kept.reduce((a, b) => a + b, 0) / kept.length,
    minMs: kept.length === 0 ? Number.NaN : kept[0]!,
    maxMs: kept.length === 0 ? Number.NaN : kept[kept.length - 1]!,
  });
}

/** Examples per second at the median step time. */
export function samplesPerSecond(stats: StepTimeStats, batchSize: number): number {
  return (batchSize * 1000) / stats.medianMs;
}
