// The tfjs-node suites again, on @tensorflow/tfjs-node-gpu (TF's CUDA build; with no GPU visible
// it runs every op on the CPU), plus the tfjs-node-gpu checks in test/tensorflow-gpu:
//
//   npm run provision:tfjs-node-gpu && npm run provision:tfjs-node
//   cd packages/kernels && npx vitest run --config vitest.gpu.config.ts
//
// `@tensorflow/tfjs-node` is aliased to `@tensorflow/tfjs-node-gpu` (both register the backend
// `tensorflow`, and one process can load only one libtensorflow), so the suites need no change.
// The suites are mandatory here (TFJS_AMP_REQUIRE_NODE=1): a binding that does not load fails.
// import-order.test.ts is left out: it imports tfjs-node in child processes, which the alias
// does not reach.
import {ampProject} from '../../vitest.shared.js';

const base = ampProject('kernels-gpu', {
  include: ['test/tensorflow/**/*.test.ts', 'test/tensorflow-gpu/**/*.gpu.ts'],
  exclude: ['test/tensorflow/import-order.test.ts'],
  env: {TFJS_AMP_REQUIRE_NODE: '1'},
});

export default {
  ...base,
  resolve: {
    ...base.resolve,
    alias: [{find: /^@tensorflow\/tfjs-node$/, replacement: '@tensorflow/tfjs-node-gpu'}],
  },
};
