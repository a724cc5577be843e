import type {PolicyName} from '@tfjs-amp/policy';
import type {MemoryStats} from './measure/memory.js';
import type {StepTimeStats} from './measure/step-time.js';
import type {ResolvedSuiteOptions} from './options.js';
import type {LossScaling} from './variants.js';

/** Version of the report.json layout; bumped on any incompatible change. */
export const REPORT_SCHEMA_VERSION = 1;

/**
 * `default`: the workload as is. `small-gradients`: the ablation's loss multiplied by
 * `smallGradientScale`, with learning rate and epsilon compensated, so only number formats with
 * too little range (float16 without loss scaling) train differently.
 */
export type ScenarioName = 'default' | 'small-gradients';

/** The machine and software a suite ran on. */
export interface MachineInfo {
  /** CPU model name. */
  readonly cpu: string;
  /** Logical cores available to the process. */
  readonly cores: number;
  /** Total memory, bytes. */
  readonly memoryBytes: number;
  /** Half-precision-relevant CPU flags present (avx512_bf16, avx512_fp16, f16c, ...). */
  readonly cpuFlags: readonly string[];
  /**
   * Whether the CPU has 16-bit arithmetic units: bf16 (avx512_bf16 or amx_bf16), fp16
   * (amx_fp16). Absent in older reports (derive it from `cpuFlags`).
   */
  readonly halfPrecisionUnits?: {readonly bf16: boolean; readonly fp16: boolean};
  /** `linux x64`, ... */
  readonly platform: string;
  /** Node.js version. */
  readonly node: string;
  /** tfjs version. */
  readonly tfjs: string;
  /** Active tfjs backend. */
  readonly backend: string;
  /** Backend details (wasm: SIMD and threads). */
  readonly backendFlags: Readonly<Record<string, boolean>>;
  /** 1, 5 and 15 minute load averages when the suite ended: other work sharing the cores. */
  readonly loadAverage: readonly number[];
}

/** How a configuration's layers computed, per `describePolicy`. */
export interface ExecutionSummary {
  /** `float32`: nothing rounded; `emulated`: rounding in float32; `native`: half-precision kernels. */
  readonly mode: 'float32' | 'emulated' | 'native' | 'mixed';
  /** Layers per execution kind (`none`, `emulated`, `native`). */
  readonly layers: Readonly<Record<string, number>>;
}

/** Everything measured for one (workload, scenario, configuration). */
export interface RunReport {
  readonly workload: string;
  readonly scenario: ScenarioName;
  /** The configuration's id (`mixed_float16:no-loss-scaling`). */
  readonly variant: string;
  readonly label: string;
  readonly policy: PolicyName;
  readonly lossScaling: LossScaling;
  /** Factor the loss was multiplied by (1 except in the small-gradients scenario). */
  readonly lossMultiplier: number;
  /** Steps trained (every epoch). */
  readonly steps: number;
  readonly stepTime: StepTimeStats;
  /** Examples per second at the median step time. */
  readonly samplesPerSec: number;
  /**
   * Median step time over float32's in the same workload and scenario (1.10 = 10 % slower);
   * null for float32 itself. Lower is better.
   */
  readonly stepTimeRatio: number | null;
  readonly memory: MemoryStats;
  /** Mean training loss over the final epoch (divided back by `lossMultiplier`). */
  readonly finalTrainLoss: number;
  /** Cross-entropy on the held-out set after the last epoch. */
  readonly testLoss: number;
  /** Held-out accuracy after the last epoch, 0..1. */
  readonly testAccuracy: number;
  /** `testAccuracy - float32's`, in percentage points; null for float32 itself. */
  readonly accuracyDeltaPp: number | null;
  /**
   * Fraction of held-out examples where this configuration predicts the same class as float32
   * (0..1); null for float32 itself. How close the two models are, beyond their accuracy.
   */
  readonly agreementWithFloat32: number | null;
  /** Whether a training loss was NaN or ±Inf. */
  readonly diverged: boolean;
  /** Loss-scale state at the end; null without loss scaling. */
  readonly lossScale: {
    readonly initial: number;
    readonly final: number;
    readonly skippedSteps: number;
  } | null;
  readonly execution: ExecutionSummary;
  /** Per-step series for the charts. */
  readonly curves: {
    /** Training loss of every step (divided back by `lossMultiplier`). */
    readonly loss: readonly number[];
    /** Loss scale used by every step; empty without loss scaling. */
    readonly lossScale: readonly number[];
    /** Steps skipped for non-finite gradients (0-based). */
    readonly skippedAt: readonly number[];
    /** Mean training loss of each epoch. */
    readonly epochLoss: readonly number[];
  };
}

/** A workload as it ran. */
export interface WorkloadReport {
  readonly name: string;
  readonly description: string;
  readonly dataDescription: string;
  readonly parameters: number;
  readonly trainExamples: number;
  readonly testExamples: number;
  readonly stepsPerEpoch: number;
  /** Examples per batch this workload trained with (absent in reports before it varied). */
  readonly batchSize?: number;
  /**
   * Held-out accuracy of always predicting the most common class (0.1 for ten balanced
   * classes): what "learned" is measured against. Absent in older reports.
   */
  readonly chanceAccuracy?: number;
}

/** One accuracy-parity check: a configuration against float32, same workload and scenario. */
export interface ParityCheck {
  readonly workload: string;
  readonly scenario: ScenarioName;
  readonly variant: string;
  readonly accuracyDeltaPp: number;
  /** |delta| ≤ tolerancePp. */
  readonly withinTolerance: boolean;
  readonly tolerancePp: number;
  /**
   * Whether float32 itself trained (finite loss that fell, held-out accuracy well above chance;
   * see `baselineLearned`). Parity with a float32 run that did not train proves nothing, so the
   * suite's verdict is "not judged" then, whatever the delta.
   */
  readonly baselineLearned: boolean;
  /** Why float32 did not count as trained, with the numbers; null when it did. */
  readonly baselineProblem: string | null;
}

/** What `runSuite` returns and report.json holds. */
export interface SuiteReport {
  readonly tool: '@tfjs-amp/bench';
  readonly schemaVersion: number;
  /** A command line that reruns it (written by the CLI). */
  readonly command?: string;
  readonly createdAt: string;
  /** Wall-clock time of the whole suite. */
  readonly durationMs: number;
  /**
   * CPU time the process used (user + system). On a busy machine wall time stretches while CPU
   * time stays close to what the suite costs alone.
   */
  readonly cpuMs: number;
  readonly machine: MachineInfo;
  readonly options: Omit<ResolvedSuiteOptions, 'workloads'> & {
    readonly workloads: readonly string[];
  };
  readonly workloads: readonly WorkloadReport[];
  readonly runs: readonly RunReport[];
  /** Parity of every default-scenario configuration that uses loss scaling where it needs it. */
  readonly parity: readonly ParityCheck[];
  /** Plain-language findings: parity, the ablation, and caveats of the measurement. */
  readonly notes: readonly string[];
}

/** Accuracy parity tolerance, percentage points. */
export const PARITY_TOLERANCE_PP = 0.5;
