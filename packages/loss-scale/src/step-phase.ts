/**
 * Where a custom-loop step stands. `minimize()` runs a whole step from `'ready'` and returns there.
 *
 * ```
 * 'ready'    --scaleLoss(loss)-------> 'scaled'     (usually inside computeGradients' f)
 * 'scaled'   --unscaleGradients(g)---> 'unscaled'   (checks for overflow: one device read)
 * 'unscaled' --applyGradients(g)-----> 'ready'      (applies or skips, then updates the scale)
 * any        --cancelStep()----------> 'ready'      (drops the step; the scale state is kept)
 * ```
 * `computeGradients()` is allowed in `'ready'` and `'scaled'`; `scaleLoss()` again in `'scaled'`
 * (several scaled losses may be summed); anything else throws an Error that names the next call.
 */
export type StepPhase = 'ready' | 'scaled' | 'unscaled';

/** The public methods whose order the phase guards. */
export type PhaseMethod =
  | 'applyGradients'
  | 'computeGradients'
  | 'minimize'
  | 'scaleLoss'
  | 'setWeights'
  | 'unscaleGradients';

const ALLOWED: Readonly<Record<PhaseMethod, readonly StepPhase[]>> = Object.freeze({
  applyGradients: ['unscaled'],
  computeGradients: ['ready', 'scaled'],
  minimize: ['ready'],
  scaleLoss: ['ready', 'scaled'],
  setWeights: ['ready'],
  unscaleGradients: ['scaled'],
});

const NEXT_CALL: Readonly<Record<StepPhase, string>> = Object.freeze({
  ready:
    'call scaleLoss(loss) inside the function passed to computeGradients(), then ' +
    'unscaleGradients(grads), then applyGradients(unscaledGrads); or use minimize(f), which does all three',
  scaled: 'call unscaleGradients(grads) next (or cancelStep() to drop this step)',
  unscaled: 'call applyGradients(unscaledGrads) next (or cancelStep() to drop this step)',
});

const DONE: Readonly<Record<StepPhase, string>> = Object.freeze({
  ready: 'no loss has been scaled this step',
  scaled: 'the loss is scaled but the gradients are not unscaled yet',
  unscaled: 'unscaleGradients() already ran this step',
});

/** Whether `method` may run in `phase`. */
export function isAllowed(method: PhaseMethod, phase: StepPhase): boolean {
  return ALLOWED[method].includes(phase);
}

/**
 * Throws when `method` may not run in `phase`, naming what has happened and the call to make next.
 * @throws Error `LossScaleOptimizer: unscaleGradients() already ran this step; call applyGradients(unscaledGrads) next ...`
 */
export function checkPhase(method: PhaseMethod, phase: StepPhase): void {
  if (isAllowed(method, phase)) return;
  const what =
    method === 'unscaleGradients' && phase === 'unscaled'
      ? DONE.unscaled
      : `${method}() is not allowed now: ${DONE[phase]}`;
  throw new Error(`LossScaleOptimizer: ${what} (phase '${phase}'); ${NEXT_CALL[phase]}.`);
}
