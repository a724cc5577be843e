import type {ResolvedLossScaleOptions} from './options.js';

/** The numbers the scale rule carries from one step to the next. */
export interface ScaleState {
  /** Scale the next step's loss is multiplied by; always a float32 value. */
  readonly lossScale: number;
  /** Consecutive steps with finite gradients since the last overflow or growth. */
  readonly goodSteps: number;
  /** Overflows still tolerated before the next back-off (DeepSpeed's `cur_hysteresis`). */
  readonly hysteresisLeft: number;
}

/** How one step changed the scale. */
export type ScaleChange = 'grew' | 'backed-off' | 'unchanged';

/** {@link nextScale}'s result: the new state and what happened to the scale. */
export interface ScaleUpdate extends ScaleState {
  readonly change: ScaleChange;
}

/** The options the rule reads. */
export type ScaleRuleOptions = Pick<
  ResolvedLossScaleOptions,
  | 'dynamic'
  | 'initialScale'
  | 'growthInterval'
  | 'growthFactor'
  | 'backoffFactor'
  | 'minScale'
  | 'maxScale'
  | 'hysteresis'
>;

/** The state before the first step: `initialScale`, no good steps, full hysteresis. */
export function initialScaleState(options: ScaleRuleOptions): ScaleState {
  return {lossScale: options.initialScale, goodSteps: 0, hysteresisLeft: options.hysteresis};
}

/**
 * The loss-scale update after one step, on plain numbers (no tensors, no tfjs).
 *
 * - Overflow (some gradient not finite): the step is skipped and `goodSteps` restarts at 0. If
 *   `hysteresisLeft > 1` it is decremented and the scale stays; otherwise the scale backs off to
 *   `max(float32(scale * backoffFactor), minScale)` (hysteresisLeft stays at 1 until a growth).
 * - Finite gradients: `goodSteps + 1`; when that reaches `growthInterval` it restarts at 0, the
 *   hysteresis is refilled, and the scale grows to `min(float32(scale * growthFactor), maxScale)`,
 *   unless that product is Inf, in which case it stays (PyTorch's rule).
 * - `dynamic: false`: the scale never changes; `goodSteps` still counts clean steps in a row.
 *
 * Products are computed in double and rounded to float32, as PyTorch's CPU kernel does with its
 * float32 scale; with the default factors (2, 0.5) this equals Keras 3's float32 arithmetic too.
 * With `hysteresis: 1`, `minScale` below every reached scale and `maxScale = FLOAT32_MAX`, the
 * trajectory equals `torch.amp.GradScaler` and Keras 3's `LossScaleOptimizer` step for step
 * (checked against fixtures made with both).
 * @example
 * nextScale({lossScale: 1024, goodSteps: 5, hysteresisLeft: 1}, true, resolveLossScaleOptions())
 * // {lossScale: 512, goodSteps: 0, hysteresisLeft: 1, change: 'backed-off'}
 */
export function nextScale(
  state: ScaleState,
  overflowed: boolean,
  options: ScaleRuleOptions,
): ScaleUpdate {
  const {lossScale, goodSteps, hysteresisLeft} = state;
  if (!options.dynamic) {
    return {
      lossScale,
      goodSteps: overflowed ? 0 : goodSteps + 1,
      hysteresisLeft,
      change: 'unchanged',
    };
  }
  if (overflowed) {
    if (hysteresisLeft > 1) {
      return {lossScale, goodSteps: 0, hysteresisLeft: hysteresisLeft - 1, change: 'unchanged'};
    }
    const next = Math.max(Math.fround(lossScale * options.backoffFactor), options.minScale);
    return {
      lossScale: next,
      goodSteps: 0,
      hysteresisLeft,
      change: changeOf(lossScale, next),
    };
  }
  const good = goodSteps + 1;
  if (good < options.growthInterval) {
    return {lossScale, goodSteps: good, hysteresisLeft, change: 'unchanged'};
  }
  const grown = Math.fround(lossScale * options.growthFactor);
  const next = Number.isFinite(grown) ? Math.min(grown, options.maxScale) : lossScale;
  return {
    lossScale: next,
    goodSteps: 0,
    hysteresisLeft: options.hysteresis,
    change: changeOf(lossScale, next),
  };
}

function changeOf(before: number, after: number): ScaleChange {
  if (after > before) return 'grew';
  return after < before ? 'backed-off' : 'unchanged';
}
