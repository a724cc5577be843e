import type {ResolvedSuiteOptions} from '../options.js';

/** Options as a report stores them (workloads by name). */
type SuiteReportOptions = SuiteReport['options'];
import {
  PARITY_TOLERANCE_PP,
  type MachineInfo,
  type ParityCheck,
  type RunReport,
  type SuiteReport,
  type WorkloadReport,
} from '../suite-report.js';
import {defaultLossScaling} from '../variants.js';
import {DEFAULT_CHANCE_ACCURACY, type LearnedCheck, baselineLearned} from './baseline-learned.js';
import {percent, powerOfTwo, signedPp} from './format-numbers.js';
import {hasUnits, unitFlags, unitFormatOf} from './unit-caveat.js';

export {percent, powerOfTwo, signedPp};

/** `a–b` with `digits` decimals, or one number when all are equal. */
function range(values: readonly number[], digits: number): string {
  const lo = Math.min(...values).toFixed(digits);
  const hi = Math.max(...values).toFixed(digits);
  return lo === hi ? lo : `${lo}–${hi}`;
}

function find(
  runs: readonly RunReport[],
  workload: string,
  scenario: RunReport['scenario'],
  variant: string,
): RunReport | undefined {
  return runs.find(
    (r) => r.workload === workload && r.scenario === scenario && r.variant === variant,
  );
}

/**
 * Speed notes for the `tensorflow` backend, one per 16-bit format the mixed runs used: the ratios
 * and how the layers ran, and whether the CPU has units for the format. Without units a 16-bit
 * kernel converts in software, so the ratio is stated as no speed-up claim.
 */
function tensorflowSpeedNotes(mixed: readonly RunReport[], machine: MachineInfo): string[] {
  const notes: string[] = [];
  for (const format of ['bf16', 'fp16'] as const) {
    const group = mixed.filter((r) => unitFormatOf(r.policy) === format);
    if (group.length === 0) continue;
    const ratios = group.map((r) => r.stepTimeRatio!);
    const policies = [...new Set(group.map((r) => r.policy))].join(', ');
    const modes = [...new Set(group.map((r) => r.execution.mode))].join('/');
    const flags = unitFlags(format);
    const units = hasUnits(machine, format);
    const measured = `${policies} took ${range(ratios, 2)}× float32's step time (layers ${modes})`;
    if (units === true) {
      const have = flags.filter((f) => machine.cpuFlags.includes(f)).join(', ');
      notes.push(
        `Speed (${format}, tensorflow backend): this CPU has ${format} units (${have}); ${measured}. ` +
          'Below 1× is the speed-up of 16-bit compute; near or above 1× means casts and ' +
          'per-op overhead outweigh it for this model size.',
      );
    } else if (units === false) {
      notes.push(
        `Speed (${format}, tensorflow backend): this CPU has no ${format} units (it lacks ` +
          `${flags.join(' and ')}), so ${format} compute cannot be faster than float32 here; ` +
          `${measured}, which is no speed-up claim: a 16-bit kernel converts in software here, ` +
          'and a ratio below 1× comes from elsewhere (noise, or work float32 does that the ' +
          'policy skips). Measure on a CPU with these flags for the speed-up.',
      );
    } else {
      notes.push(
        `Speed (${format}, tensorflow backend): ${measured}; the CPU flags are unknown, so ` +
          `whether it has ${format} units (${flags.join(' or ')}) is not known.`,
      );
    }
  }
  return notes;
}

/** The suite's parity verdict: `not-judged` when some float32 baseline did not train. */
export type ParityStatus = 'pass' | 'fail' | 'not-judged';

/**
 * The overall parity verdict of `parity` and one line saying it: PASS only when every float32
 * baseline trained and every mixed policy is within tolerance; NOT JUDGED, naming the workload and
 * why, when a float32 baseline did not train; FAIL naming the configurations otherwise.
 * @example parityVerdict(report.parity).text // 'Parity: PASS (every mixed policy within ±0.5 pp of float32)'
 */
export function parityVerdict(parity: readonly ParityCheck[]): {
  status: ParityStatus;
  text: string;
} {
  // Checks read from reports older than the field lack it; the CLI recomputes them for --from.
  const untrained = parity.filter((p) => p.baselineLearned === false);
  const judged = parity.filter((p) => p.baselineLearned !== false);
  const failed = judged.filter((p) => !p.withinTolerance);
  const rest =
    failed.length === 0
      ? `PASS (every mixed policy within ±${PARITY_TOLERANCE_PP} pp of float32)`
      : `FAIL for ${failed.map((p) => `${p.workload}/${p.variant}`).join(', ')}`;
  if (untrained.length > 0) {
    const seen = new Set<string>();
    const why = untrained
      .filter((p) => !seen.has(p.workload) && seen.add(p.workload))
      .map((p) => `${p.workload}: ${p.baselineProblem}`)
      .join('; ');
    return {
      status: 'not-judged',
      text:
        `Parity: NOT JUDGED for ${[...seen].join(', ')}: float32 itself did not train (${why}), ` +
        'so matching it proves nothing' +
        (judged.length > 0 ? `; the other workloads: ${rest}` : ''),
    };
  }
  return {status: failed.length === 0 ? 'pass' : 'fail', text: `Parity: ${rest}`};
}

/**
 * The parity checks (every default-scenario `mixed_*` configuration with its default loss
 * scaling, against float32) and plain-language notes on parity, the loss-scaling ablation, speed
 * and memory, all derived from the measured runs. Parity counts only where float32 itself
 * trained ({@link baselineLearned}); otherwise the checks and notes say float32 did not learn.
 * @param workloadReports the workload reports, for each one's chance accuracy (default 0.1 where
 *   absent).
 * @param machine where the runs ran: on the `tensorflow` backend the speed notes say, per 16-bit
 *   format, whether the CPU has units for it, and where it has none, that the ratio is no speed-up.
 */
export function findings(
  runs: readonly RunReport[],
  o: ResolvedSuiteOptions | SuiteReportOptions,
  workloadReports: readonly WorkloadReport[] = [],
  machine?: MachineInfo,
): {parity: ParityCheck[]; notes: string[]} {
  const learned = new Map<string, LearnedCheck>();
  const baselineOf = (workload: string, scenario: RunReport['scenario']): LearnedCheck | null => {
    const key = `${workload}/${scenario}`;
    if (!learned.has(key)) {
      const base = find(runs, workload, scenario, 'float32');
      if (base == null) return null;
      const chance =
        workloadReports.find((w) => w.name === workload)?.chanceAccuracy ?? DEFAULT_CHANCE_ACCURACY;
      learned.set(key, baselineLearned(base, chance));
    }
    return learned.get(key)!;
  };
  const parity: ParityCheck[] = runs
    .filter(
      (r) =>
        r.scenario === 'default' &&
        r.policy.startsWith('mixed_') &&
        r.lossScaling === defaultLossScaling(r.policy) &&
        r.accuracyDeltaPp != null,
    )
    .map((r) => ({
      workload: r.workload,
      scenario: r.scenario,
      variant: r.variant,
      accuracyDeltaPp: r.accuracyDeltaPp!,
      // Accuracies are counts over the held-out set; the epsilon absorbs float rounding of the
      // difference (0.955 − 0.95 is 0.50000000000000044 pp).
      withinTolerance: Math.abs(r.accuracyDeltaPp!) <= PARITY_TOLERANCE_PP + 1e-9,
      tolerancePp: PARITY_TOLERANCE_PP,
      baselineLearned: baselineOf(r.workload, r.scenario)?.learned ?? false,
      baselineProblem:
        baselineOf(r.workload, r.scenario) == null
          ? 'no float32 run'
          : baselineOf(r.workload, r.scenario)!.problem,
    }));

  const notes: string[] = [];
  const untrained = parity.filter((p) => !p.baselineLearned);
  if (untrained.length > 0) {
    const ws = [...new Set(untrained.map((p) => p.workload))];
    notes.push(
      `Accuracy parity NOT JUDGED: float32 itself did not train on ${ws
        .map((w) => `${w} (${untrained.find((p) => p.workload === w)!.baselineProblem})`)
        .join('; ')}. ` +
        'Matching an untrained float32 proves nothing about mixed precision. Check the model ' +
        '(softmax output, finite weights), the learning rate and the number of steps.',
    );
  }
  const judged = parity.filter((p) => p.baselineLearned);
  if (judged.length > 0) {
    const failed = judged.filter((p) => !p.withinTolerance);
    const list = judged
      .map((p) => `${p.workload} ${p.variant} ${signedPp(p.accuracyDeltaPp)}`)
      .join(', ');
    notes.push(
      failed.length === 0
        ? `Accuracy parity: every mixed policy${untrained.length > 0 ? ' judged' : ''} is within ±${PARITY_TOLERANCE_PP} pp of float32 after ` +
            `${o.epochs} epoch(s) (${list}).`
        : `Accuracy parity NOT reached for ${failed.map((p) => `${p.workload} ${p.variant}`).join(', ')} ` +
            `(tolerance ±${PARITY_TOLERANCE_PP} pp after ${o.epochs} epoch(s); all: ${list}). ` +
            'Short runs leave models mid-training, where runs with different rounding differ most; ' +
            'try more epochs (--suite full).',
    );
  }

  const workloads = [...new Set(runs.map((r) => r.workload))];
  for (const w of workloads) {
    const withLs = find(runs, w, 'default', 'mixed_float16');
    const withoutLs = find(runs, w, 'default', 'mixed_float16:no-loss-scaling');
    if (withLs != null && withoutLs != null) {
      const gap = (withLs.testAccuracy - withoutLs.testAccuracy) * 100;
      notes.push(
        Math.abs(gap) <= PARITY_TOLERANCE_PP + 1e-9
          ? `Ablation, normal settings (${w}): mixed_float16 without loss scaling reaches ` +
              `${percent(withoutLs.testAccuracy)}, with loss scaling ${percent(withLs.testAccuracy)}: ` +
              "this model's gradients stay inside float16's range, so here loss scaling is a " +
              'safeguard, not what makes training work.'
          : `Ablation, normal settings (${w}): mixed_float16 without loss scaling reaches ` +
              `${percent(withoutLs.testAccuracy)}, with loss scaling ${percent(withLs.testAccuracy)} ` +
              `(${signedPp(gap)} for loss scaling).`,
      );
    }
    const f32 = find(runs, w, 'small-gradients', 'float32');
    const sgWith = find(runs, w, 'small-gradients', 'mixed_float16');
    const sgWithout = find(runs, w, 'small-gradients', 'mixed_float16:no-loss-scaling');
    const sgBaseline = f32 == null ? null : baselineOf(w, 'small-gradients');
    if (f32 != null && sgBaseline != null && !sgBaseline.learned) {
      notes.push(
        `Ablation, small gradients (${w}): NOT JUDGED: with the loss multiplied by ` +
          `${powerOfTwo(o.smallGradientScale)}, float32 itself did not train ` +
          `(${sgBaseline.problem}), so the scenario says nothing about float16. Use a larger ` +
          '--small-gradient-scale (2^-20 is the default).',
      );
    } else if (f32 != null && sgWith != null && sgWithout != null) {
      const scale = sgWith.lossScale;
      notes.push(
        `Ablation, small gradients (${w}): the loss is multiplied by ${powerOfTwo(o.smallGradientScale)} ` +
          "(Adam's epsilon scaled with it, so float32 trains exactly as before) and the " +
          "gradients fall below float16's smallest subnormal (about 6e-8), as in deep networks or " +
          `large sum-reduced losses. float32 reaches ${percent(f32.testAccuracy)}; mixed_float16 with ` +
          `dynamic loss scaling ${percent(sgWith.testAccuracy)}` +
          (scale != null
            ? ` (scale ${scale.initial} → ${scale.final}, ${scale.skippedSteps} skipped steps)`
            : '') +
          `; without loss scaling ${percent(sgWithout.testAccuracy)}: most of its gradients round to ` +
          'zero in float16, so it trains far worse.',
      );
    }
  }

  const mixed = runs.filter((r) => r.scenario === 'default' && r.stepTimeRatio != null);
  if (mixed.length > 0) {
    const onTensorflow = machine?.backend === 'tensorflow';
    if (onTensorflow) notes.push(...tensorflowSpeedNotes(mixed, machine!));
    const emulated = mixed.filter((r) => r.execution.mode === 'emulated');
    if (emulated.length > 0 && !onTensorflow) {
      const ratios = emulated.map((r) => r.stepTimeRatio!);
      const casts = emulated.map((r) => r.memory.castKernelsPerStep);
      const spread = Math.max(...runs.map((r) => r.stepTime.relativeIqr));
      notes.push(
        `Speed: low precision is emulated on this backend (float32 arithmetic with rounding at ` +
          `each layer's inputs, weights and outputs: ${range(casts, 0)} rounding kernels per step), ` +
          `so mixed steps took ${range(ratios, 2)}× float32's time. Emulation reproduces ` +
          'half-precision numerics (accuracy, loss scaling) but cannot be faster than float32: ' +
          'speed-ups need native half-precision kernels, which this backend does not have.' +
          (Math.min(...ratios) < 1
            ? ` Ratios below 1× are measurement noise (step times spread up to ±${((spread * 100) / 2).toFixed(0)}% ` +
              'around their median in this run).'
            : ''),
      );
    }
    notes.push(
      onTensorflow
        ? 'Memory: natively-run layers keep their activations as 16-bit TensorFlow tensors ' +
            "(the 'native 16-bit peak' column); tf.memory() counts them at float32 size although " +
            "no float32 copy exists until float32 code reads one, so 'tfjs peak' overstates " +
            "mixed runs. 'step tensors' is what one step holds at its busiest in TensorFlow " +
            'tensors of every dtype, counted at the binding: compare policies by it. Process RSS ' +
            'is shared by all configurations of a run: compare it per process with ' +
            '`npm run bench:memory -w @tfjs-amp/bench`. ' +
            "Saving with saveModelWithPolicy(..., {saveWeightsAs: 'float16'}) halves the model file."
        : 'Memory: tfjs has no 16-bit dtype, so every tensor stays float32 and state memory is the ' +
            'same under every policy; mixed steps can hold extra rounded copies of activations and ' +
            'weights (step peak). Process RSS is shared by all configurations of a run (and memory ' +
            'a backend took is rarely given back), so compare tfjs bytes. ' +
            "Saving with saveModelWithPolicy(..., {saveWeightsAs: 'float16'}) halves the model file.",
    );
  }
  return {parity, notes};
}
