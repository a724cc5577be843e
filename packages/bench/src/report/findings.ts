import type {ResolvedSuiteOptions} from '../options.js';
import {PARITY_TOLERANCE_PP, type ParityCheck, type RunReport} from '../suite-report.js';
import {defaultLossScaling} from '../variants.js';

/** `97.25%`. */
export function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(2)}%`;
}

/** `+0.15 pp`, `−0.40 pp`. */
export function signedPp(pp: number): string {
  const sign = pp > 0 ? '+' : pp < 0 ? '−' : '±';
  return `${sign}${Math.abs(pp).toFixed(2)} pp`;
}

/** `2^-20` for exact powers of two, else the number. */
export function powerOfTwo(x: number): string {
  const e = Math.log2(x);
  return Number.isInteger(e) ? `2^${e}` : String(x);
}

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
 * The parity checks (every default-scenario `mixed_*` configuration with its default loss
 * scaling, against float32) and plain-language notes on parity, the loss-scaling ablation, speed
 * and memory, all derived from the measured runs.
 */
export function findings(
  runs: readonly RunReport[],
  o: ResolvedSuiteOptions,
): {parity: ParityCheck[]; notes: string[]} {
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
    }));

  const notes: string[] = [];
  if (parity.length > 0) {
    const failed = parity.filter((p) => !p.withinTolerance);
    const list = parity
      .map((p) => `${p.workload} ${p.variant} ${signedPp(p.accuracyDeltaPp)}`)
      .join(', ');
    notes.push(
      failed.length === 0
        ? `Accuracy parity: every mixed policy is within ±${PARITY_TOLERANCE_PP} pp of float32 after ` +
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
    if (f32 != null && sgWith != null && sgWithout != null) {
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
    const emulated = mixed.filter((r) => r.execution.mode === 'emulated');
    if (emulated.length > 0) {
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
      'Memory: tfjs has no 16-bit dtype, so every tensor stays float32 and state memory is the ' +
        'same under every policy; mixed steps can hold extra rounded copies of activations and ' +
        'weights (step peak). Process RSS is shared by all configurations of a run (and memory ' +
        'a backend took is rarely given back), so compare tfjs bytes. ' +
        "Saving with saveModelWithPolicy(..., {saveWeightsAs: 'float16'}) halves the model file.",
    );
  }
  return {parity, notes};
}
