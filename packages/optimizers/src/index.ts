// @tfjs-amp/optimizers: tfjs optimizers whose steps run as fused TensorFlow training ops on
// tfjs-node (one op per variable), with the wrapped tfjs optimizer's state layout and semantics.

// Fused optimizer
export {FusedOptimizer, fuseOptimizer} from './fused-optimizer.js';
export type {FusedMode} from './fused-optimizer.js';

// Fused update rules
export {FUSED_OPTIMIZER_NAMES, FUSED_RULES, fusedRuleFor} from './fused-rules.js';
export type {FusedInput, FusedRule, OptimizerFields, StepScalars} from './fused-rules.js';
