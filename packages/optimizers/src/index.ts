// @tfjs-amp/optimizers: tfjs optimizers whose steps run as fused TensorFlow training ops on
// tfjs-node (one op per variable), with the wrapped tfjs optimizer's state layout and semantics.

// Fused optimizer
export {FusedOptimizer, fuseOptimizer} from './fused-optimizer.js';
export type {FusedMode, FusedOptimizerState} from './fused-optimizer.js';
export {OPTIMIZER_STATE} from './optimizer-state.js';
export type {OptimizerStateProtocol} from './optimizer-state.js';

// Fused update rules
export {FUSED_OPTIMIZER_NAMES, FUSED_RULES, fusedRuleFor} from './fused-rules.js';
export type {FusedInput, FusedRule, OptimizerFields, StepScalars} from './fused-rules.js';

// Adam-type optimizers with decoupled weight decay and 16-bit storage options
export {AdamW, adamw, DEFAULT_ADAMW_OPTIONS} from './adamw.js';
export type {AdamWOptions} from './adamw.js';
export {CONVENTIONS} from './convention.js';
export type {Convention} from './convention.js';
export {DEFAULT_NADAM_OPTIONS, Nadam, nadam} from './nadam.js';
export type {NadamOptions} from './nadam.js';
export {
  DEFAULT_STORAGE_PRECISION_OPTIONS,
  STORAGE_FORMATS,
  STORAGE_ROUNDINGS,
  stateBytes,
} from './state-precision.js';
export type {StorageFormat, StoragePrecisionOptions, StorageRounding} from './state-precision.js';

// 16-bit state for tfjs's built-in optimizers
export {
  BUILT_IN_SLOT_FIELDS,
  DEFAULT_ROUNDED_STATE_OPTIONS,
  RoundedStateOptimizer,
  roundOptimizerState,
} from './rounded-state-optimizer.js';
export type {RoundedStateOptions} from './rounded-state-optimizer.js';
