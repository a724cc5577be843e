/**
 * `@tfjs-amp/kernels/shared/node`: the shared helpers that need Node's built-in modules (kept
 * apart from `@tfjs-amp/kernels/shared` so that browser bundles of the other packages never see
 * `node:fs`).
 */
export {tfjsNodeBindingPresent} from './tfjs-node-probe.js';
