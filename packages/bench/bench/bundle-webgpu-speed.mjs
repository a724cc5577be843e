// @ts-check
// Bundles bench/webgpu-speed.ts into bench/webgpu-bundle/webgpu-speed.mjs (tfjs, the webgpu
// backend and tfjs-amp inlined) with Dawn's dawn.node beside it: copy that folder to a machine
// with a GPU and a Node binary and run `node webgpu-speed.mjs` there.
import {copyFileSync, mkdirSync} from 'node:fs';
import {createRequire} from 'node:module';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {build} from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'webgpu-bundle');
mkdirSync(out, {recursive: true});
await build({
  entryPoints: [join(here, 'webgpu-speed.ts')],
  outfile: join(out, 'webgpu-speed.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['@tfjs-amp/source'],
  // Dawn's native addon is loaded from beside the bundle (dawn.node), not bundled.
  external: ['webgpu'],
  banner: {
    js: "import {createRequire as __cr} from 'node:module'; const require = __cr(import.meta.url);",
  },
  logLevel: 'warning',
});
const require = createRequire(import.meta.url);
const webgpu = dirname(require.resolve('webgpu/package.json'));
copyFileSync(
  join(webgpu, 'dist', `${process.platform}-${process.arch}`, 'dawn.node'),
  join(out, 'dawn.node'),
);
console.log(
  `bench/webgpu-bundle: webgpu-speed.mjs + dawn.node (${process.platform}-${process.arch})`,
);
