// The benchmark tables come from @tfjs-amp/test-utils (one implementation for every package,
// candidate/baseline time, lower is faster); these names keep this folder's scripts unchanged.
export {machineLine, reportSeries as compareRuns} from '@tfjs-amp/test-utils';
export type {Series} from '@tfjs-amp/test-utils';
