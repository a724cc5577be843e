import {existsSync} from 'node:fs';
import {createRequire} from 'node:module';
import {dirname, join} from 'node:path';

const require = createRequire(import.meta.url);

/**
 * Whether `@tensorflow/tfjs-node` is installed with its native binding built, checked without
 * loading it (loading a missing binding throws, and a present one starts TensorFlow). Looks for
 * `tfjs_binding.node` where node-pre-gyp puts it: `binary.module_path` of tfjs-node's
 * package.json, for the highest N-API version both tfjs-node and this Node support. Node only
 * (exported from `@tfjs-amp/kernels/shared/node`).
 * @returns false when tfjs-node is not installed or its binding was never built.
 * @example if (!tfjsNodeBindingPresent()) console.log('run `npm run provision:tfjs-node` first');
 */
export function tfjsNodeBindingPresent(): boolean {
  try {
    const pkgPath = require.resolve('@tensorflow/tfjs-node/package.json');
    const pkg = require(pkgPath) as {binary?: {module_path?: string; napi_versions?: number[]}};
    const nodeNapi = Number(process.versions.napi ?? 0);
    const napi = Math.max(...(pkg.binary?.napi_versions ?? [8]).filter((v) => v <= nodeNapi));
    const modulePath = (pkg.binary?.module_path ?? './lib/napi-v{napi_build_version}').replace(
      '{napi_build_version}',
      String(napi),
    );
    return existsSync(join(dirname(pkgPath), modulePath, 'tfjs_binding.node'));
  } catch {
    return false;
  }
}
