// @tfjs-amp/callbacks: tf.Callback subclasses that make mixed-precision training observable and
// self-healing in model.fit / fitDataset: stop on NaN, log the loss scale, sample per-layer
// numerics, fall back to a wider precision, and show progress.

// Stop on a non-finite loss
export {
  DEFAULT_TERMINATE_ON_NAN_OPTIONS,
  NonFiniteLossError,
  TerminateOnNaN,
  terminateOnNaN,
} from './terminate-on-nan.js';
export type {NonFiniteLossEvent, TerminateOnNaNOptions} from './terminate-on-nan.js';

// Loss-scale logs and history
export {
  DEFAULT_LOSS_SCALE_MONITOR_OPTIONS,
  LossScaleMonitor,
  lossScaleMonitor,
} from './loss-scale-monitor.js';
export type {
  LossScaleHistory,
  LossScaleMonitorOptions,
  MinScaleWarning,
} from './loss-scale-monitor.js';

// Per-layer numerics
export {
  DEFAULT_NUMERICS_MONITOR_OPTIONS,
  NumericsMonitor,
  numericsMonitor,
} from './numerics-monitor.js';
export type {
  FirstOverflow,
  LayerNumerics,
  NumericsMonitorOptions,
  NumericsReport,
  NumericsSample,
  TensorNumerics,
} from './numerics-monitor.js';

// Precision fallback
export {
  DEFAULT_PRECISION_FALLBACK_OPTIONS,
  PrecisionFallback,
  precisionFallback,
} from './precision-fallback.js';
export type {
  BadDataEvent,
  FallbackEvent,
  FallbackReason,
  PrecisionFallbackOptions,
} from './precision-fallback.js';

// Dynamic precision: by schedule, or by a rule of the logs
export {
  DEFAULT_PRECISION_SCHEDULE_OPTIONS,
  PrecisionSchedule,
  precisionSchedule,
} from './precision-schedule.js';
export type {
  EpochScheduleEntry,
  PrecisionScheduleOptions,
  ScheduleEntry,
  StepScheduleEntry,
} from './precision-schedule.js';
export {DEFAULT_PRECISION_RULE_OPTIONS, PrecisionRule, precisionRule} from './precision-rule.js';
export type {PrecisionRuleFn, PrecisionRuleInput, PrecisionRuleOptions} from './precision-rule.js';
export {DEFAULT_LOSS_THRESHOLD_RULE_OPTIONS, lossThresholdRule} from './loss-threshold-rule.js';
export type {LossThresholdRuleOptions} from './loss-threshold-rule.js';
export type {PrecisionSwitchEvent} from './internal/precision-switcher.js';

// Progress display
export {AmpProgress, DEFAULT_AMP_PROGRESS_OPTIONS, ampProgress} from './amp-progress.js';
export type {AmpProgressOptions, ProgressStream} from './amp-progress.js';

// Mixing with plain-object callbacks
export {combineCallbacks} from './combine-callbacks.js';
export type {CallbackEntry} from './combine-callbacks.js';

// Shared types
export type {StepPosition} from './internal/amp-callback.js';
export type {CallbackLogs} from './internal/log-value.js';
export type {LossScaleState} from './internal/loss-scale-state.js';
