import type {RunReport} from '../suite-report.js';
import {percent} from './format-numbers.js';

/**
 * How far above chance float32's held-out accuracy must be for the run to count as trained: a
 * third of the way from chance to 100% (40% for ten balanced classes, 66.7% for two).
 */
export const LEARNED_FRACTION_ABOVE_CHANCE = 1 / 3;

/**
 * Chance accuracy when a report does not record it: schema-1 reports predate the field, and
 * every built-in workload then had ten balanced MNIST classes.
 */
export const DEFAULT_CHANCE_ACCURACY = 0.1;

/** Whether a float32 baseline learned, and if not, why not in words. */
export interface LearnedCheck {
  readonly learned: boolean;
  /** `null` when it learned; otherwise what was wrong, with the numbers. */
  readonly problem: string | null;
}

/**
 * Checks that a (float32) run actually trained, so that matching its accuracy means something:
 * every training loss finite, the final epoch's mean loss below the first step's loss (the loss
 * of the initial weights), and held-out accuracy at least {@link LEARNED_FRACTION_ABOVE_CHANCE}
 * of the way from `chanceAccuracy` to 100%. A model file with NaN weights, a loss multiplier that
 * underflows float32, or a model whose outputs are no probabilities fail it.
 * @param chanceAccuracy accuracy of always predicting the most common held-out class (0.1 for ten
 *   balanced classes).
 * @example baselineLearned(float32Run, 0.1) // {learned: true, problem: null}
 */
export function baselineLearned(run: RunReport, chanceAccuracy: number): LearnedCheck {
  const initial = run.curves.loss[0];
  const final = run.finalTrainLoss;
  const needed = chanceAccuracy + (1 - chanceAccuracy) * LEARNED_FRACTION_ABOVE_CHANCE;
  const problems: string[] = [];
  if (run.diverged || !Number.isFinite(final) || initial == null || !Number.isFinite(initial)) {
    problems.push('its training loss was NaN or infinite');
  } else if (!(final < initial)) {
    problems.push(
      `its training loss did not fall (${initial.toPrecision(4)} at the first step, ` +
        `${final.toPrecision(4)} over the last epoch)`,
    );
  }
  if (!(run.testAccuracy >= needed)) {
    problems.push(
      `its held-out accuracy ${percent(run.testAccuracy)} is not well above chance ` +
        `(${percent(chanceAccuracy)}; needs ${percent(needed)})`,
    );
  }
  return problems.length === 0
    ? {learned: true, problem: null}
    : {learned: false, problem: problems.join(' and ')};
}
