// @tfjs-amp/loss-scale: a loss-scale optimizer for tfjs. Dynamic loss scaling, skipped steps on
// overflow and gradient clipping on unscaled gradients; plugs into model.fit. Importing this module
// registers LossScaleOptimizer with tfjs serialization (for tf.loadLayersModel).

// Optimizer
export {LossScaleOptimizer} from './loss-scale-optimizer.js';

// Options
export {
  DEFAULT_LOSS_SCALE_OPTIONS,
  FLOAT32_MAX,
  LOSS_SCALE_MODES,
  LOSS_SCALE_OPTION_NAMES,
  resolveLossScaleOptions,
} from './options.js';
export type {LossScaleMode, LossScaleOptions, ResolvedLossScaleOptions} from './options.js';
export {DEVICE_MODE_BACKENDS, stepModeFor} from './step-mode.js';
export type {StepMode} from './step-mode.js';

// Scale rule (plain numbers)
export {initialScaleState, nextScale} from './scale-rule.js';
export {COUNTER_NAMES, nextScaleOnDevice} from './scale-rule-on-device.js';
export type {CounterName, DeviceScaleState, ScaleRuleConstants} from './scale-rule-on-device.js';
export type {ScaleChange, ScaleRuleOptions, ScaleState, ScaleUpdate} from './scale-rule.js';

// Events and step phases
export type {LossScaleEvent, LossScaleListener, LossScaleState} from './events.js';
export type {StepPhase} from './step-phase.js';

// Serialization
export {STATE_WEIGHT_NAMES, STATE_WEIGHT_PREFIX} from './serialization.js';
export type {PersistedScaleState} from './serialization.js';
