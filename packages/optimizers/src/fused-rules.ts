import type * as tf from '@tensorflow/tfjs';

/**
 * An input of a `ResourceApply*` op after the variable and its slots: a float32 scalar (the same
 * for every variable of a step) or the variable's gradient.
 */
export type FusedInput = {readonly scalar: number} | 'grad';

/** The per-step numbers a rule keeps in JavaScript (e.g. Adam's `beta1^t`), float32 values. */
export type StepScalars = number[];

/** The hyperparameters a rule reads from the wrapped optimizer (its own public fields). */
export type OptimizerFields = Readonly<Record<string, unknown>>;

/**
 * How one built-in tfjs optimizer maps onto one TensorFlow `ResourceApply*` op per variable, with
 * the same state layout as the tfjs class (slot names, order, `getWeights()`).
 */
export interface FusedRule {
  /** The tfjs class name (`Adam`, `SGD`, ...), what `getClassName()` returns. */
  readonly className: string;
  /** The TensorFlow training op run once per variable per step. */
  readonly op: string;
  /** Slot name suffixes in `getWeights()` order (`${variableName}/${suffix}`). */
  readonly slots: readonly string[];
  /** The tfjs fields holding each slot's `{originalName, variable}[]`, same order as `slots`. */
  readonly slotFields: readonly string[];
  /**
   * tfjs scalar variables holding step state (Adam's `accBeta1`, `accBeta2`), imported once when
   * the fused path takes over; their values, as float32 numbers, are the rule's step scalars.
   */
  readonly stepFields: readonly string[];
  /** Whether `getWeights()`/`setWeights()` exist (tfjs's Adamax throws). */
  readonly serializable: boolean;
  /** Why this instance cannot be fused (a config whose formula TF does not have), or null. */
  unsupported(opt: OptimizerFields): string | null;
  /** The op's inputs after var and slots, in op order. */
  inputs(opt: OptimizerFields, step: StepScalars): FusedInput[];
  /** Extra attributes besides `T` and `use_locking` (e.g. `use_nesterov`). */
  boolAttrs(opt: OptimizerFields): Readonly<Record<string, boolean>>;
  /** The step scalars after one step, computed in float32 as tfjs does. */
  advance(opt: OptimizerFields, step: StepScalars): StepScalars;
}

const f32 = Math.fround;

function num(opt: OptimizerFields, field: string): number {
  return opt[field] as number;
}

const adam: FusedRule = {
  className: 'Adam',
  op: 'ResourceApplyAdam',
  slots: ['m', 'v'],
  slotFields: ['accumulatedFirstMoment', 'accumulatedSecondMoment'],
  stepFields: ['accBeta1', 'accBeta2'],
  serializable: true,
  unsupported: () => null,
  // tfjs: var -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
  // TF:   var -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps').
  // Equal for eps' = eps * sqrt(1 - b2^t) (multiply tfjs's numerator and denominator by it).
  inputs: (opt, [b1Power, b2Power]) => [
    {scalar: b1Power!},
    {scalar: b2Power!},
    {scalar: num(opt, 'learningRate')},
    {scalar: num(opt, 'beta1')},
    {scalar: num(opt, 'beta2')},
    {scalar: num(opt, 'epsilon') * Math.sqrt(1 - b2Power!)},
    'grad',
  ],
  boolAttrs: () => ({use_nesterov: false}),
  advance: (opt, [b1Power, b2Power]) => [
    f32(b1Power! * f32(num(opt, 'beta1'))),
    f32(b2Power! * f32(num(opt, 'beta2'))),
  ],
};

const sgd: FusedRule = {
  className: 'SGD',
  op: 'ResourceApplyGradientDescent',
  slots: [],
  slotFields: [],
  stepFields: [],
  serializable: true,
  unsupported: () => null,
  // tfjs: var + (-lr) * g; TF: var - g * lr (the same float32 operations).
  inputs: (opt) => [{scalar: num(opt, 'learningRate')}, 'grad'],
  boolAttrs: () => ({}),
  advance: () => [],
};

const momentum: FusedRule = {
  className: 'Momentum',
  op: 'ResourceApplyMomentum',
  slots: ['momentum'],
  slotFields: ['accumulations'],
  stepFields: [],
  serializable: true,
  unsupported: () => null,
  // accum = accum * momentum + g; var -= lr * accum (Nesterov: var -= lr * (g + accum * momentum)).
  inputs: (opt) => [{scalar: num(opt, 'learningRate')}, 'grad', {scalar: num(opt, 'momentum')}],
  boolAttrs: (opt) => ({use_nesterov: opt.useNesterov === true}),
  advance: () => [],
};

const rmsprop: FusedRule = {
  className: 'RMSProp',
  op: 'ResourceApplyRMSProp',
  slots: ['rms', 'momentum'],
  slotFields: ['accumulatedMeanSquares', 'accumulatedMoments'],
  stepFields: [],
  serializable: true,
  // tfjs's centered form computes sqrt(ms - mg^2 - eps); TF's has + eps: they do not agree.
  unsupported: (opt) =>
    opt.centered === true
      ? "centered RMSProp: tfjs computes sqrt(ms - mg² - eps), TensorFlow's op sqrt(ms - mg² + eps)"
      : null,
  // ms = decay * ms + (1 - decay) * g²; mom = momentum * mom + lr * g / sqrt(ms + eps); var -= mom.
  inputs: (opt) => [
    {scalar: num(opt, 'learningRate')},
    {scalar: num(opt, 'decay')},
    {scalar: num(opt, 'momentum')},
    {scalar: num(opt, 'epsilon')},
    'grad',
  ],
  boolAttrs: () => ({}),
  advance: () => [],
};

const adamax: FusedRule = {
  className: 'Adamax',
  op: 'ResourceApplyAdaMax',
  slots: ['m', 'v'],
  slotFields: ['accumulatedFirstMoment', 'accumulatedWeightedInfNorm'],
  stepFields: ['accBeta1', 'iteration'],
  serializable: false,
  unsupported: () => null,
  // m = b1 m + (1 - b1) g; u = max(b2 u, |g|); var -= lr_t / (1 - b1^t) * m / (u + eps) with
  // tfjs's decayed lr_t = lr / (1 + iteration * decay).
  inputs: (opt, [b1Power, iteration]) => [
    {scalar: b1Power!},
    {scalar: num(opt, 'learningRate') / (1 + iteration! * num(opt, 'decay'))},
    {scalar: num(opt, 'beta1')},
    {scalar: num(opt, 'beta2')},
    {scalar: num(opt, 'epsilon')},
    'grad',
  ],
  boolAttrs: () => ({}),
  advance: (opt, [b1Power, iteration]) => [
    f32(b1Power! * f32(num(opt, 'beta1'))),
    f32(iteration! + 1),
  ],
};

/**
 * The tfjs optimizers with a fused update on tfjs-node, by class name (sorted). Not here, because
 * TensorFlow has no op with tfjs's formula: Adagrad (tfjs: `g / sqrt(accum + eps)`; TF:
 * `g / sqrt(accum)` or `g / (sqrt(accum) + eps)`) and Adadelta (tfjs scales by the accumulated
 * gradient before this step's update; TF after it). They, centered RMSProp and any other class run
 * unfused.
 */
export const FUSED_RULES: Readonly<Record<string, FusedRule>> = Object.freeze({
  Adam: adam,
  Adamax: adamax,
  Momentum: momentum,
  RMSProp: rmsprop,
  SGD: sgd,
});

/** The class names {@link FUSED_RULES} covers, sorted. */
export const FUSED_OPTIMIZER_NAMES: readonly string[] = Object.freeze(Object.keys(FUSED_RULES));

/** The rule for `optimizer`'s class, or null when it has none. */
export function fusedRuleFor(optimizer: tf.Optimizer): FusedRule | null {
  const name = optimizer.getClassName();
  return Object.hasOwn(FUSED_RULES, name) ? FUSED_RULES[name]! : null;
}
